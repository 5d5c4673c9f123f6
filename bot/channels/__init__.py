"""The SMS and WeChat survey channels' provider layer, free of the database and of the conversation gateway.

Identities (``identity``), SMS wording and length (``sms_template``), a turn as
plain text (``plain_text``), the providers' reply pushes (``sms_inbound``) and
their authentication (``callback_guard``), sending (``sms_senders``, with
``send_result``), and the WeChat official account (``wechat``). docs/channels.md
says how the routes and the job runner use them.
"""
