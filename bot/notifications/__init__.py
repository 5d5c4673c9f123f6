"""Staff notifications: one writer for the in-app inbox and the outbound deliveries, the channels, the owners
of non-staff causes and their weekly digest.

* ``inbox``: :func:`~bot.notifications.inbox.do_notify`, the one writer (inbox rows + queued deliveries, in
  the caller's transaction), and what the inbox page reads.
* ``deliveries``: the job that sends queued deliveries, retries them with back-off, records the outcome.
* ``robots`` (WeCom and DingTalk group robots) and ``mail`` (SMTP): the senders.
* ``owners``: the owner (department, contacts) of each non-staff cause.
* ``digest``: the weekly digest per owner.

Nothing here writes a customer's words: notification texts are our own words, ids, counts and links; the
digest quotes redacted reason texts only.
"""
