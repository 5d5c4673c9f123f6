// Customer survey chat client.
//
// Talks only to our proxy. On load GET /api/chat/<token>/history: a conversation
// that already began is shown as it stands (a reload never greets again), a
// closed survey shows its one-line notice and, unless it still accepts input,
// a disabled reply box. Only without history POST /api/chat/<token>/start.
// Then POST /api/chat/<token> {"message", "message_id"} per customer message. The
// id is new for each message and resent unchanged when the customer retries a
// failed send, so the server stores a retried message once. Every reply has
// the shape {"messages": [{"text", "buttons": [{"title", "payload"}]}], "closed",
// "notice"}, also for 503 (engine down, or the message was not processed) and
// 404 (unknown survey), whose texts are shown as bot messages. All bot and
// customer text is rendered with textContent.
(() => {
  "use strict";

  const NETWORK_ERROR = "网络好像有点问题，请稍后再试。";
  const RETRY_LABEL = "重新连接";
  const CLOSED_PLACEHOLDER = "本次评价已结束";
  const TIMEOUT_MS = 40000; // the proxy gives Rasa 30 s
  const HISTORY_TIMEOUT_MS = 10000;
  const MAX_INPUT_HEIGHT = 140; // px: about five lines, then the box scrolls

  const token = document.body.dataset.token || "";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("input");
  const sendBtn = document.getElementById("send");
  const counter = document.getElementById("counter");
  const field = input.parentElement;
  const base = `/api/chat/${encodeURIComponent(token)}`;
  const MAX_CHARS = Number(document.body.dataset.maxChars) || 1000;

  let busy = false;
  let unsent = null; // {message, id} of the last send that failed, reused on retry
  let composing = false;
  let typingRow = null;

  // ---- rendering -------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svgAvatar() {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M12 3a8 8 0 0 0-8 8v4.5A2.5 2.5 0 0 0 6.5 18H8v-6H6v-1a6 6 0 0 1 12 0v1h-2v6h1.9a2 2 0 0 1-1.9 1.5h-2.2a1.5 1.5 0 1 0 0 1.5H16a3.5 3.5 0 0 0 3.46-3A2.5 2.5 0 0 0 20 15.5V11a8 8 0 0 0-8-8Z");
    svg.appendChild(path);
    const wrap = el("div", "avatar");
    wrap.setAttribute("aria-hidden", "true");
    wrap.appendChild(svg);
    return wrap;
  }

  function scrollToEnd() {
    requestAnimationFrame(() => { log.scrollTop = log.scrollHeight; });
  }

  /** Append text, keeping ranges such as "1-5" on one line (text nodes only, never HTML). */
  function appendText(parent, text) {
    const parts = String(text).split(/(\b\d{1,2}\s*[-–~～]\s*\d{1,2}\b)/);
    parts.forEach((part, i) => {
      if (!part) return;
      if (i % 2 === 1) parent.appendChild(el("span", "nowrap", part));
      else parent.appendChild(document.createTextNode(part));
    });
  }

  /** Append one message row; returns {row, stack} so callers can add chips. */
  function addRow(who, text, extraClass) {
    const row = el("div", `row ${who}${extraClass ? " " + extraClass : ""}`);
    const stack = el("div", "stack");
    const bubble = el("p", "bubble");
    bubble.appendChild(el("span", "visually-hidden", who === "bot" ? "客服：" : "我："));
    if (who === "bot") appendText(bubble, text);
    else bubble.appendChild(document.createTextNode(text));
    stack.appendChild(bubble);
    if (who === "bot") row.appendChild(svgAvatar());
    row.appendChild(stack);
    log.insertBefore(row, typingRow && typingRow.parentNode === log ? typingRow : null);
    scrollToEnd();
    return { row, stack };
  }

  function asksForScore(text) {
    return /回复/.test(text) && /1\s*[-–—~～至到]\s*5/.test(text);
  }

  function addBotMessage(message, extraClass) {
    const text = typeof message.text === "string" ? message.text : "";
    if (!text) return;
    const { stack } = addRow("bot", text, extraClass);
    const buttons = Array.isArray(message.buttons) ? message.buttons.filter((b) => b && (b.payload || b.title)) : [];
    if (buttons.length) {
      const group = chipGroup("请选择一项", buttons.map((b) => {
        const title = String(b.title || b.payload);
        return { title, payload: String(b.payload || b.title), label: title };
      }));
      // Numbered, because a typed 1-4 picks the option at that position.
      group.classList.add("numbered");
      group.querySelectorAll(".chip").forEach((chip, i) => { chip.dataset.n = String(i + 1); });
      stack.appendChild(group);
    } else if (asksForScore(text)) {
      stack.appendChild(scorePad());
    }
    scrollToEnd();
  }

  function chipGroup(label, options, onChoose) {
    const group = el("div", "chips");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", label);
    for (const opt of options) {
      const chip = el("button", "chip", opt.title);
      chip.type = "button";
      if (opt.label !== opt.title) chip.setAttribute("aria-label", opt.label);
      chip.addEventListener("click", (event) => {
        if (busy || chip.disabled) return;
        const viaKeyboard = event.detail === 0;
        if (onChoose) { onChoose(group, chip); return; }
        choose(group, chip, opt);
        if (viaKeyboard) input.focus();
      });
      group.appendChild(chip);
    }
    return group;
  }

  function scorePad() {
    const labels = { 1: "1分，非常不满意", 2: "2分，不满意", 3: "3分，一般", 4: "4分，满意", 5: "5分，非常满意" };
    const pad = el("div", "score-pad");
    pad.appendChild(chipGroup("快速评分，1到5分", [1, 2, 3, 4, 5].map((n) => (
      { title: String(n), payload: String(n), label: labels[n] }))));
    const legend = el("div", "scale-legend");
    legend.setAttribute("aria-hidden", "true");
    legend.appendChild(el("span", "", "1 非常不满意"));
    legend.appendChild(el("span", "", "5 非常满意"));
    pad.appendChild(legend);
    return pad;
  }

  function setGroupDisabled(group, disabled) {
    group.classList.toggle("used", disabled);
    for (const chip of group.querySelectorAll("button")) chip.disabled = disabled;
  }

  function showTyping() {
    if (typingRow) return;
    typingRow = el("div", "row bot typing");
    typingRow.appendChild(svgAvatar());
    const stack = el("div", "stack");
    const bubble = el("div", "bubble");
    bubble.appendChild(el("span", "visually-hidden", "客服正在输入…"));
    for (let i = 0; i < 3; i += 1) {
      const dot = el("span", "dot");
      dot.setAttribute("aria-hidden", "true");
      bubble.appendChild(dot);
    }
    stack.appendChild(bubble);
    typingRow.appendChild(stack);
    log.appendChild(typingRow);
    scrollToEnd();
  }

  function hideTyping() {
    if (typingRow) typingRow.remove();
    typingRow = null;
  }

  // ---- composer state --------------------------------------------------

  function refreshComposer() {
    const length = input.value.length;
    sendBtn.disabled = busy || input.disabled || input.value.trim() === "";
    const counting = length > 0;
    field.classList.toggle("counting", counting);
    counter.textContent = counting ? `${length}/${MAX_CHARS}` : "";
    counter.classList.toggle("full", length >= MAX_CHARS);
    // Grow with the text (long reasons on a phone), up to a few lines.
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, MAX_INPUT_HEIGHT)}px`;
  }

  let noticeRow = null;

  /** Show the survey's closed state; without further input the reply box is disabled. */
  function showClosed(notice, acceptsInput) {
    if (notice && !noticeRow) {
      noticeRow = el("p", "closed-notice", notice);
      noticeRow.setAttribute("role", "status");
      log.appendChild(noticeRow);
      scrollToEnd();
    }
    if (!acceptsInput) {
      input.value = "";
      input.disabled = true;
      input.placeholder = CLOSED_PLACEHOLDER;
      log.querySelectorAll(".chips:not(.used)").forEach((g) => setGroupDisabled(g, true));
    }
    refreshComposer();
  }

  function setBusy(value) {
    busy = value;
    form.setAttribute("aria-busy", value ? "true" : "false");
    refreshComposer();
  }

  // ---- network ---------------------------------------------------------

  /** A random UUID (v4); crypto.randomUUID needs a secure context, getRandomValues does not. */
  function newMessageId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function" && window.isSecureContext) {
      return window.crypto.randomUUID();
    }
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** The id of ``message``: the failed attempt's id when this is its resend, else a new one. */
  function messageIdFor(message) {
    return unsent && unsent.message === message ? unsent.id : newMessageId();
  }

  /** Call the proxy. Resolves to {status, messages, data}; messages is null when nothing usable came back. */
  async function request(url, body, timeoutMs = TIMEOUT_MS) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const options = { headers: { Accept: "application/json" }, signal: controller.signal,
        credentials: "same-origin", cache: "no-store" };
      if (body !== undefined) {
        options.method = "POST";
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body || {});
      }
      const response = await fetch(url, options);
      let data = null;
      try { data = await response.json(); } catch (_) { data = null; }
      const messages = data && Array.isArray(data.messages) ? data.messages.filter((m) => m && m.text) : null;
      return { status: response.status, messages: messages && messages.length ? messages : null, data };
    } catch (_) {
      return { status: 0, messages: null, data: null };
    } finally {
      clearTimeout(timer);
    }
  }

  const post = (url, body) => request(url, body);

  function render(result) {
    const delivered = result.status >= 200 && result.status < 300;
    if (result.messages) {
      for (const m of result.messages) addBotMessage(m, delivered ? "" : "error");
    } else if (!delivered || result.status === 0) {
      addBotMessage({ text: NETWORK_ERROR }, "error");
    }
    if (delivered && result.data && result.data.closed) showClosed(result.data.notice, true);
    return delivered;
  }

  /** Show a stored conversation; only the last bot turn keeps live quick replies. Returns true when shown. */
  async function resume() {
    const result = await request(`${base}/history`, undefined, HISTORY_TIMEOUT_MS);
    const data = result.status === 200 ? result.data : null;
    if (!data || !Array.isArray(data.messages)) return false;
    if (!data.messages.length && !data.closed) return false;
    for (const m of data.messages) {
      if (m.sender === "customer") {
        log.querySelectorAll(".chips:not(.used)").forEach((g) => setGroupDisabled(g, true));
        addRow("me", String(m.text || ""));
      } else {
        log.querySelectorAll(".chips:not(.used)").forEach((g) => setGroupDisabled(g, true));
        addBotMessage(m);
      }
    }
    if (data.closed) showClosed(data.notice, Boolean(data.accepts_input));
    return true;
  }

  async function start() {
    setBusy(true);
    showTyping();
    const result = await post(`${base}/start`, {});
    hideTyping();
    setBusy(false);
    const ok = render(result);
    if (!ok && result.status !== 404) {
      // Engine busy or network down: offer to fetch the greeting again.
      const last = log.lastElementChild;
      const stack = last && last.querySelector(".stack");
      if (stack) {
        stack.appendChild(chipGroup("重新连接", [{ title: RETRY_LABEL, payload: "", label: RETRY_LABEL }],
          (group) => { setGroupDisabled(group, true); start(); }));
        scrollToEnd();
      }
    }
  }

  /**
   * Send one customer message. ``shown`` is what the customer's bubble says
   * (a button's title), ``fromInput`` whether it was typed (restored on failure).
   */
  async function send(message, shown, { fromInput = false, chosen = null } = {}) {
    if (busy) return;
    // Earlier quick replies answer earlier questions: retire them.
    const retired = [...log.querySelectorAll(".chips:not(.used)")];
    retired.forEach((g) => setGroupDisabled(g, true));
    const mine = addRow("me", shown).row;
    setBusy(true);
    showTyping();
    const id = messageIdFor(message);
    const result = await post(base, { message, message_id: id });
    hideTyping();
    setBusy(false);
    const ok = render(result);
    unsent = ok ? null : { message, id };
    if (!ok && result.status !== 404) {
      // Not processed: keep what the customer typed and let them try again.
      mine.classList.add("failed");
      mine.querySelector(".stack").appendChild(el("span", "status", "未发送成功"));
      retired.forEach((g) => setGroupDisabled(g, false));
      if (chosen) chosen.classList.remove("chosen");
      if (fromInput && input.value === "") {
        input.value = message;
        refreshComposer();
      }
    }
  }

  function choose(group, chip, option) {
    if (busy) return;
    chip.classList.add("chosen");
    // send() retires this group with the others (and restores it if sending fails).
    send(option.payload, option.title, { chosen: chip });
  }

  // ---- events ----------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) return;
    const text = input.value.trim().slice(0, MAX_CHARS);
    if (!text) return;
    input.value = "";
    refreshComposer();
    send(text, text, { fromInput: true });
  });

  // Enter confirms a pinyin candidate while an IME is composing: don't send then.
  input.addEventListener("compositionstart", () => { composing = true; });
  input.addEventListener("compositionend", () => { composing = false; });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    if (composing || event.isComposing || event.keyCode === 229) {
      event.preventDefault();
      return;
    }
    if (!event.shiftKey) {
      // Enter sends (Shift+Enter starts a new line in a long reason).
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", refreshComposer);

  refreshComposer();
  resume().then((shown) => { if (!shown) start(); });
})();
