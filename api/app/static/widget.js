/*
 * Hirondelle chat widget. One tag embeds it on any page:
 *
 *   <script src="https://GATEWAY/widget.js" data-gateway="https://GATEWAY" defer></script>
 *
 * Optional attributes: data-title (header text), data-lang (interface language before
 * the conversation has one). Plain JavaScript, no dependencies, no build step. It
 * renders inside a shadow root, so the host page's CSS and the widget's never mix.
 *
 * Talks to the gateway's /api/widget/* endpoints: a signed token (kept in
 * localStorage) identifies the conversation, history is restored after a reload, and
 * later messages (a counsellor, a reminder) arrive as server-sent events.
 */
(function () {
  "use strict";

  if (!window.customElements || customElements.get("hirondelle-chat")) return; // loaded twice

  var script = document.currentScript ||
    document.querySelector('script[src$="/widget.js"][data-gateway], script[src$="/widget.js"]');
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var GATEWAY = ((script && script.getAttribute("data-gateway")) || scriptOrigin).replace(/\/+$/, "");
  var TITLE = script && script.getAttribute("data-title");
  var FORCED_LANG = script && script.getAttribute("data-lang");
  var MAX_CHARS = 2000;
  var REQUEST_TIMEOUT_MS = 30000;
  var TOKEN_KEY = "hirondelle-chat:token:" + GATEWAY;
  var OPEN_KEY = "hirondelle-chat:open:" + GATEWAY;
  var RTL = { ar: true };

  // The widget's own words, in the service's nine languages. The assistant's answers
  // come from the gateway; these only label the controls.
  var UI = {
    en: { title: "Assistant", open: "Open the chat", close: "Close the chat", log: "Conversation",
          label: "Your message", placeholder: "Write your message…", send: "Send", retry: "Try again",
          offline: "The assistant cannot be reached. Check your connection. Your message is still here.",
          error: "Something went wrong. Your message is still here.",
          tooLong: "Your message is too long: at most {n} characters.", unread: "new message",
          you: "You:", person: "counsellor", bot: "Assistant:", suggestions: "Suggested answers",
          hello: "Hello! Write your question in your own language." },
    fr: { title: "Assistant", open: "Ouvrir la discussion", close: "Fermer la discussion", log: "Conversation",
          label: "Votre message", placeholder: "Écrivez votre message…", send: "Envoyer", retry: "Réessayer",
          offline: "Impossible de joindre l'assistant. Vérifiez votre connexion. Votre message est conservé.",
          error: "Un problème est survenu. Votre message est conservé.",
          tooLong: "Votre message est trop long : {n} caractères au maximum.", unread: "nouveau message",
          you: "Vous :", person: "conseiller", bot: "Assistant :", suggestions: "Réponses suggérées",
          hello: "Bonjour ! Écrivez votre question dans votre langue." },
    nl: { title: "Assistent", open: "Chat openen", close: "Chat sluiten", log: "Gesprek",
          label: "Uw bericht", placeholder: "Schrijf uw bericht…", send: "Versturen", retry: "Opnieuw proberen",
          offline: "De assistent is niet bereikbaar. Controleer uw verbinding. Uw bericht blijft bewaard.",
          error: "Er ging iets mis. Uw bericht blijft bewaard.",
          tooLong: "Uw bericht is te lang: maximaal {n} tekens.", unread: "nieuw bericht",
          you: "U:", person: "consulent", bot: "Assistent:", suggestions: "Voorgestelde antwoorden",
          hello: "Hallo! Schrijf uw vraag in uw eigen taal." },
    es: { title: "Asistente", open: "Abrir el chat", close: "Cerrar el chat", log: "Conversación",
          label: "Su mensaje", placeholder: "Escriba su mensaje…", send: "Enviar", retry: "Reintentar",
          offline: "No se puede contactar con el asistente. Compruebe su conexión. Su mensaje sigue aquí.",
          error: "Algo salió mal. Su mensaje sigue aquí.",
          tooLong: "Su mensaje es demasiado largo: {n} caracteres como máximo.", unread: "mensaje nuevo",
          you: "Usted:", person: "consejero", bot: "Asistente:", suggestions: "Respuestas sugeridas",
          hello: "¡Hola! Escriba su pregunta en su idioma." },
    de: { title: "Assistent", open: "Chat öffnen", close: "Chat schließen", log: "Unterhaltung",
          label: "Ihre Nachricht", placeholder: "Schreiben Sie Ihre Nachricht…", send: "Senden",
          retry: "Erneut versuchen",
          offline: "Der Assistent ist nicht erreichbar. Prüfen Sie Ihre Verbindung. Ihre Nachricht bleibt erhalten.",
          error: "Etwas ist schiefgelaufen. Ihre Nachricht bleibt erhalten.",
          tooLong: "Ihre Nachricht ist zu lang: höchstens {n} Zeichen.", unread: "neue Nachricht",
          you: "Sie:", person: "Berater", bot: "Assistent:", suggestions: "Antwortvorschläge",
          hello: "Hallo! Schreiben Sie Ihre Frage in Ihrer Sprache." },
    ru: { title: "Помощник", open: "Открыть чат", close: "Закрыть чат", log: "Разговор",
          label: "Ваше сообщение", placeholder: "Напишите сообщение…", send: "Отправить", retry: "Повторить",
          offline: "Не удаётся связаться с помощником. Проверьте подключение. Ваше сообщение сохранено.",
          error: "Что-то пошло не так. Ваше сообщение сохранено.",
          tooLong: "Сообщение слишком длинное: не более {n} символов.", unread: "новое сообщение",
          you: "Вы:", person: "консультант", bot: "Помощник:", suggestions: "Варианты ответа",
          hello: "Здравствуйте! Напишите свой вопрос на своём языке." },
    tr: { title: "Asistan", open: "Sohbeti aç", close: "Sohbeti kapat", log: "Sohbet",
          label: "Mesajınız", placeholder: "Mesajınızı yazın…", send: "Gönder", retry: "Tekrar dene",
          offline: "Asistana ulaşılamıyor. Bağlantınızı kontrol edin. Mesajınız burada duruyor.",
          error: "Bir sorun oluştu. Mesajınız burada duruyor.",
          tooLong: "Mesajınız çok uzun: en fazla {n} karakter.", unread: "yeni mesaj",
          you: "Siz:", person: "danışman", bot: "Asistan:", suggestions: "Önerilen cevaplar",
          hello: "Merhaba! Sorunuzu kendi dilinizde yazın." },
    it: { title: "Assistente", open: "Apri la chat", close: "Chiudi la chat", log: "Conversazione",
          label: "Il suo messaggio", placeholder: "Scriva il suo messaggio…", send: "Invia", retry: "Riprova",
          offline: "Impossibile raggiungere l'assistente. Controlli la connessione. Il suo messaggio è ancora qui.",
          error: "Qualcosa è andato storto. Il suo messaggio è ancora qui.",
          tooLong: "Il messaggio è troppo lungo: al massimo {n} caratteri.", unread: "nuovo messaggio",
          you: "Lei:", person: "consulente", bot: "Assistente:", suggestions: "Risposte suggerite",
          hello: "Buongiorno! Scriva la sua domanda nella sua lingua." },
    ar: { title: "المساعد", open: "افتح المحادثة", close: "أغلق المحادثة", log: "المحادثة",
          label: "رسالتك", placeholder: "اكتب رسالتك…", send: "إرسال", retry: "أعد المحاولة",
          offline: "لا يمكن الوصول إلى المساعد. تحقّق من اتصالك بالإنترنت. رسالتك ما زالت هنا.",
          error: "حدث خطأ ما. رسالتك ما زالت هنا.",
          tooLong: "رسالتك طويلة جدًا: {n} حرفًا على الأكثر.", unread: "رسالة جديدة",
          you: "أنت:", person: "مستشار", bot: "المساعد:", suggestions: "ردود مقترحة",
          hello: "مرحبًا! اكتب سؤالك بلغتك." }
  };

  function pickLanguage(candidates) {
    for (var i = 0; i < candidates.length; i++) {
      var code = String(candidates[i] || "").slice(0, 2).toLowerCase();
      if (UI[code]) return code;
    }
    return "en";
  }

  // localStorage may be missing or refuse writes (private browsing, blocked storage):
  // the widget then still works, it just forgets the conversation on reload.
  function storage(kind) {
    var memory = {};
    function area() { try { return window[kind]; } catch (e) { return null; } }
    return {
      get: function (k) { try { return area().getItem(k); } catch (e) { return memory[k] || null; } },
      set: function (k, v) { try { area().setItem(k, v); } catch (e) { memory[k] = v; } },
      remove: function (k) { try { area().removeItem(k); } catch (e) { delete memory[k]; } }
    };
  }
  var local = storage("localStorage");
  var session = storage("sessionStorage");

  var CSS = [
    ":host { all: initial; }",
    ":host, .root { font: 16px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans Arabic',",
    "  'Noto Naskh Arabic', Tahoma, sans-serif; color: #1b1b1b; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;",
    "  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }",
    "button { font: inherit; cursor: pointer; }",
    ":focus-visible { outline: 3px solid #1b1b1b; outline-offset: 2px; box-shadow: 0 0 0 2px #fff; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 60px; height: 60px;",
    "  border-radius: 50%; border: 2px solid #fff; background: #0b4f8a; color: #fff; display: grid;",
    "  place-items: center; box-shadow: 0 4px 14px rgba(0,0,0,.3); padding: 0; }",
    ".launcher:hover { background: #083b68; }",
    ".launcher svg { width: 28px; height: 28px; }",
    ".badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px;",
    "  border-radius: 11px; background: #b3261e; color: #fff; font-size: 13px; line-height: 22px;",
    "  font-weight: 700; text-align: center; border: 2px solid #fff; }",
    ".panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483000; width: 380px;",
    "  max-width: calc(100vw - 40px); height: min(620px, calc(100vh - 120px)); display: flex;",
    "  flex-direction: column; background: #fff; border-radius: 14px; overflow: hidden;",
    "  border: 1px solid #c9ced6; box-shadow: 0 10px 34px rgba(0,0,0,.28); }",
    ".head { display: flex; align-items: center; gap: 8px; padding: 8px 8px 8px 16px; background: #0b4f8a;",
    "  color: #fff; flex: none; }",
    ".panel[dir=rtl] .head { padding: 8px 16px 8px 8px; }",
    ".head h2 { flex: 1; margin: 0; font-size: 17px; font-weight: 600; line-height: 1.3; }",
    ".head :focus-visible { outline-color: #fff; box-shadow: 0 0 0 2px #0b4f8a; }",
    ".close { width: 44px; height: 44px; border: 0; border-radius: 8px; background: transparent; color: #fff;",
    "  display: grid; place-items: center; padding: 0; }",
    ".close:hover { background: rgba(255,255,255,.16); }",
    ".close svg { width: 22px; height: 22px; }",
    ".log { flex: 1; overflow-y: auto; padding: 14px 12px; display: flex; flex-direction: column; gap: 8px;",
    "  background: #f6f7f9; overscroll-behavior: contain; }",
    ".intro { margin: 0 0 4px; color: #4a4a4a; font-size: 15px; text-align: center; }",
    ".msg { max-width: 85%; padding: 9px 13px; border-radius: 14px; white-space: pre-wrap;",
    "  overflow-wrap: anywhere; border: 1px solid transparent; }",
    ".msg.out { align-self: flex-start; background: #fff; border-color: #d9dde3; border-end-start-radius: 4px; }",
    ".msg.in { align-self: flex-end; background: #0b4f8a; color: #fff; border-end-end-radius: 4px; }",
    ".msg.pending { opacity: .75; }",
    ".msg.person { background: #eef7ee; border-color: #7fb27f; }",
    ".msg.system { background: #fffbe8; border-color: #e0cf8a; }",
    ".msg .author { display: block; font-weight: 600; font-size: 14px; margin-bottom: 2px; }",
    ".msg a, .alert a { color: inherit; text-decoration: underline; }",
    "a[href^='tel:'] { white-space: nowrap; }",
    ".quick { display: flex; flex-wrap: wrap; gap: 6px; align-self: flex-start; max-width: 100%; }",
    ".quick button { min-height: 44px; padding: 8px 14px; border-radius: 22px; border: 2px solid #0b4f8a;",
    "  background: #fff; color: #0b4f8a; font-size: 16px; text-align: start; }",
    ".quick button:hover { background: #e8f0f8; }",
    ".typing { align-self: flex-start; display: flex; gap: 4px; padding: 12px 14px; background: #fff;",
    "  border: 1px solid #d9dde3; border-radius: 14px; }",
    ".typing span { width: 7px; height: 7px; border-radius: 50%; background: #6b7280;",
    "  animation: blink 1.2s infinite ease-in-out; }",
    ".typing span:nth-child(2) { animation-delay: .2s; } .typing span:nth-child(3) { animation-delay: .4s; }",
    "@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }",
    ".alert { margin: 0; padding: 10px 12px; background: #fff4e5; border-top: 1px solid #e6c9a3;",
    "  border-inline-start: 5px solid #b35900; display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }",
    ".alert p { margin: 0; flex: 1 1 200px; }",
    ".retry { min-height: 44px; padding: 6px 14px; border-radius: 8px; border: 2px solid #8a4500;",
    "  background: #fff; color: #8a4500; font-weight: 600; }",
    ".composer { display: flex; gap: 8px; padding: 10px; padding-bottom: max(10px, env(safe-area-inset-bottom));",
    "  border-top: 1px solid #d9dde3; background: #fff; flex: none; }",
    ".composer input { flex: 1; min-width: 0; min-height: 44px; font: inherit; font-size: 16px;",
    "  padding: 8px 12px; border: 1px solid #767676; border-radius: 8px; color: #1b1b1b; background: #fff; }",
    ".composer input:focus-visible { outline-offset: 0; box-shadow: none; }",
    ".send { min-height: 44px; padding: 0 16px; border: 0; border-radius: 8px; background: #0b4f8a; color: #fff;",
    "  font-size: 16px; font-weight: 600; }",
    ".send:hover { background: #083b68; }",
    "@media (max-width: 480px) {",
    "  .panel { inset: 0; width: 100%; max-width: none; height: 100%; height: 100dvh; border-radius: 0; border: 0; }",
    "  .root.open .launcher { display: none; }",
    "  .msg { max-width: 90%; }",
    "}",
    "@media (prefers-reduced-motion: reduce) { .typing span { animation: none; opacity: .6; } }",
    "@media (forced-colors: active) { .msg, .quick button, .send, .retry, .launcher { border: 1px solid; } }"
  ].join("\n");

  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
    'd="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 ' +
    '3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="none" ' +
    'stroke="currentColor" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';

  var TEMPLATE =
    '<div class="root">' +
    '<section class="panel" id="panel" role="dialog" aria-modal="false" aria-labelledby="title" hidden>' +
    '<div class="head"><h2 id="title"></h2>' +
    '<button class="close" type="button">' + ICON_CLOSE + '</button></div>' +
    '<div class="log" id="log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0">' +
    '<p class="intro" dir="auto"></p></div>' +
    '<div class="alert-region" role="alert"><div class="alert" hidden>' +
    '<p dir="auto"></p><button class="retry" type="button" hidden></button></div></div>' +
    '<form class="composer" novalidate>' +
    '<label class="sr-only" for="input"></label>' +
    '<input id="input" type="text" dir="auto" autocomplete="off" enterkeyhint="send">' +
    '<button class="send" type="submit"></button></form>' +
    '</section>' +
    '<button class="launcher" type="button" aria-expanded="false" aria-controls="panel">' + ICON_CHAT +
    '<span class="badge" aria-hidden="true" hidden></span></button>' +
    '</div>';

  // Phone numbers and web addresses in answers become links (tap to call on a phone).
  // Only numbers written as phone numbers are (international "+32 …" or Belgian "0…"),
  // never dates, times or references.
  var LINKS = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]])|(\+\d[\d \u00a0]{6,}\d|\b0\d[\d \u00a0]{6,}\d)/g;

  function appendLinked(parent, text) {
    var last = 0;
    text.replace(LINKS, function (match, url, phone, index) {
      parent.appendChild(document.createTextNode(text.slice(last, index)));
      var a = document.createElement("a");
      a.textContent = match;
      a.setAttribute("dir", "ltr"); // numbers and addresses read left to right, in Arabic too
      a.href = url ? url : "tel:" + phone.replace(/[^\d+]/g, "");
      if (url) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
      parent.appendChild(a);
      last = index + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  class NetworkError extends Error {}

  class HirondelleChat extends HTMLElement {
    constructor() {
      super();
      var root = this.attachShadow({ mode: "open" });
      if ("adoptedStyleSheets" in root && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
        // A constructed sheet is not an inline <style>, so a host page's strict CSP allows it.
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
      } else {
        var style = document.createElement("style");
        style.textContent = CSS;
        root.appendChild(style);
      }
      var holder = document.createElement("div");
      holder.innerHTML = TEMPLATE; // static markup only; message texts always go through textContent
      root.appendChild(holder.firstChild);
      var $ = function (sel) { return root.querySelector(sel); };
      this.el = {
        root: $(".root"), panel: $(".panel"), title: $("#title"), close: $(".close"), log: $(".log"),
        intro: $(".intro"), alert: $(".alert"), alertText: $(".alert p"), retry: $(".retry"),
        form: $(".composer"), label: $("label"), input: $("#input"), send: $(".send"),
        launcher: $(".launcher"), badge: $(".badge")
      };
      this.token = local.get(TOKEN_KEY);
      this.language = null;
      this.lastId = 0;
      this.seen = new Set();
      this.sending = false;
      this.unread = 0;
      this.events = null;
      this.eventsBackoff = 2000;
      this.loaded = false; // the history has been read once
      this.restoreDelay = 2000;
      this.typing = null;
      this.uiLang = pickLanguage([FORCED_LANG, document.documentElement.lang]
        .concat(navigator.languages || [navigator.language]));
      this.bind();
      this.applyLanguage();
    }

    connectedCallback() {
      if (this.token) this.restore();
      if (session.get(OPEN_KEY) === "1") this.open(false);
    }

    disconnectedCallback() {
      if (this.events) { this.events.close(); this.events = null; }
    }

    t(key) { return (UI[this.uiLang] || UI.en)[key] || UI.en[key]; }

    bind() {
      var self = this, el = this.el;
      el.launcher.addEventListener("click", function () {
        if (el.panel.hidden) self.open(true); else self.close();
      });
      el.close.addEventListener("click", function () { self.close(); });
      el.root.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape" && !el.panel.hidden) { ev.preventDefault(); self.close(); }
      });
      el.form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        self.send(el.input.value);
      });
      el.retry.addEventListener("click", function () {
        el.input.focus(); // the retry button disappears; keep the keyboard user in the composer
        self.send(el.input.value);
      });
      window.addEventListener("online", function () {
        if (self.token && !self.events) self.restore();
      });
    }

    // --- language and direction --------------------------------------------------------

    setLanguage(lang) {
      if (!lang || !UI[lang]) return;
      this.language = lang;
      this.uiLang = lang;
      this.applyLanguage();
    }

    applyLanguage() {
      var el = this.el, lang = this.language || this.uiLang;
      // The whole panel turns right-to-left for an Arabic conversation; each bubble
      // still finds its own direction (dir="auto"), so a Latin phone number or a
      // French message inside it reads correctly.
      el.panel.setAttribute("dir", RTL[lang] ? "rtl" : "ltr");
      el.panel.setAttribute("lang", lang);
      el.title.textContent = TITLE || this.t("title");
      el.close.setAttribute("aria-label", this.t("close"));
      el.log.setAttribute("aria-label", this.t("log"));
      el.intro.textContent = this.t("hello");
      el.label.textContent = this.t("label");
      el.input.placeholder = this.t("placeholder");
      el.send.textContent = this.t("send");
      el.retry.textContent = this.t("retry");
      this.updateLauncher();
    }

    updateLauncher() {
      var el = this.el, isOpen = !el.panel.hidden;
      var label = isOpen ? this.t("close") : this.t("open");
      if (!isOpen && this.unread) label += " (" + this.unread + " " + this.t("unread") + ")";
      el.launcher.setAttribute("aria-label", label);
      el.launcher.setAttribute("aria-expanded", String(isOpen));
      el.badge.hidden = isOpen || !this.unread;
      el.badge.textContent = this.unread ? String(this.unread) : "";
    }

    // --- open / close ---------------------------------------------------------------------

    open(focus) {
      var el = this.el;
      el.panel.hidden = false;
      el.root.classList.add("open");
      session.set(OPEN_KEY, "1");
      this.unread = 0;
      this.updateLauncher();
      this.scrollToEnd();
      if (focus) el.input.focus();
      if (this.token && !this.loaded) this.restore();
    }

    close() {
      var el = this.el;
      var hadFocus = this.shadowRoot.activeElement !== null;
      el.panel.hidden = true;
      el.root.classList.remove("open");
      session.set(OPEN_KEY, "0");
      this.updateLauncher();
      if (hadFocus) el.launcher.focus();
    }

    // --- messages ---------------------------------------------------------------------------

    scrollToEnd() {
      var log = this.el.log;
      log.scrollTop = log.scrollHeight;
    }

    clearQuickReplies() {
      var old = this.el.log.querySelectorAll(".quick");
      for (var i = 0; i < old.length; i++) old[i].remove();
    }

    addMessage(m, live) {
      if (m.id != null) {
        if (this.seen.has(m.id)) return null;
        this.seen.add(m.id);
        if (m.id > this.lastId) this.lastId = m.id;
      }
      var el = this.el, out = m.direction !== "in";
      el.intro.hidden = true;
      this.clearQuickReplies();
      var bubble = document.createElement("div");
      var person = out && m.kind === "counsellor";
      bubble.className = "msg " + (out ? "out" : "in") + (person ? " person" : "") +
        (out && m.kind === "system" ? " system" : "");
      bubble.setAttribute("dir", "auto");
      // Who is speaking. A counsellor's message is always marked as a person's, visibly;
      // otherwise the label is for screen readers. Its own dir keeps it out of the
      // bubble's automatic direction, which must follow the message text.
      var who = document.createElement("span");
      who.className = person ? "author" : "sr-only";
      who.setAttribute("dir", RTL[this.uiLang] ? "rtl" : "ltr");
      who.textContent = person ? (m.author || "") + " (" + this.t("person") + ")"
                               : this.t(out ? "bot" : "you") + " ";
      bubble.appendChild(who);
      appendLinked(bubble, m.text || "");
      if (this.typing && this.typing.parentNode) el.log.insertBefore(bubble, this.typing);
      else el.log.appendChild(bubble);
      if (out && m.buttons && m.buttons.length) this.showQuickReplies(m.buttons, bubble);
      if (out && live && el.panel.hidden) { this.unread += 1; this.updateLauncher(); }
      this.scrollToEnd();
      return bubble;
    }

    showQuickReplies(buttons, after) {
      var self = this, group = document.createElement("div");
      group.className = "quick";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", this.t("suggestions"));
      buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.setAttribute("dir", "auto");
        btn.textContent = b.title || b.payload;
        btn.addEventListener("click", function () {
          self.el.input.focus(); // the group is about to go; focus must not fall to the page
          self.send(b.payload || b.title, true);
        });
        group.appendChild(btn);
      });
      after.after(group);
    }

    setBusy(busy) {
      var el = this.el;
      el.log.setAttribute("aria-busy", String(busy));
      if (busy && !this.typing) {
        this.typing = document.createElement("div");
        this.typing.className = "typing";
        this.typing.setAttribute("aria-hidden", "true");
        this.typing.innerHTML = "<span></span><span></span><span></span>";
        el.log.appendChild(this.typing);
        this.scrollToEnd();
      } else if (!busy && this.typing) {
        this.typing.remove();
        this.typing = null;
      }
    }

    showAlert(text, retry) {
      this.el.alertText.textContent = "";
      appendLinked(this.el.alertText, text); // "… or call +32 …": one tap to call
      this.el.retry.hidden = !retry;
      this.el.alert.hidden = false;
    }

    hideAlert() {
      this.el.alert.hidden = true;
      this.el.alertText.textContent = "";
    }

    // --- talking to the gateway -----------------------------------------------------------

    async request(method, path, body) {
      var ctrl = window.AbortController ? new AbortController() : null;
      var timer = ctrl && setTimeout(function () { ctrl.abort(); }, REQUEST_TIMEOUT_MS);
      try {
        return await fetch(GATEWAY + path, {
          method: method,
          headers: body ? { "Content-Type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined,
          signal: ctrl ? ctrl.signal : undefined,
          credentials: "omit",
          cache: "no-store"
        });
      } catch (e) {
        throw new NetworkError(String(e));
      } finally {
        if (timer) clearTimeout(timer);
      }
    }

    saveToken(token) {
      this.token = token;
      local.set(TOKEN_KEY, token);
    }

    forget() {
      // The gateway refused the token (expired, or its key changed): this conversation
      // can no longer be read, so start afresh.
      this.token = null;
      local.remove(TOKEN_KEY);
      if (this.events) { this.events.close(); this.events = null; }
      var log = this.el.log, nodes = log.querySelectorAll(".msg, .quick");
      for (var i = 0; i < nodes.length; i++) nodes[i].remove();
      this.seen.clear();
      this.lastId = 0;
      this.language = null;
      this.el.intro.hidden = false;
      this.applyLanguage();
    }

    async newSession() {
      var r = await this.request("POST", "/api/widget/session");
      if (!r.ok) throw new NetworkError("session " + r.status);
      this.saveToken((await r.json()).token);
    }

    async send(text, fromButton) {
      var el = this.el;
      if (this.sending) return;
      if (!text || !text.trim()) { el.input.focus(); return; }
      if (text.length > MAX_CHARS) {
        this.showAlert(this.t("tooLong").replace("{n}", MAX_CHARS), false);
        return;
      }
      this.sending = true;
      this.hideAlert();
      if (!fromButton) el.input.value = "";
      var bubble = this.addMessage({ id: null, direction: "in", text: text });
      bubble.classList.add("pending");
      this.setBusy(true);
      var failure = null;
      try {
        if (!this.token) await this.newSession();
        var r = await this.request("POST", "/api/widget/messages", { token: this.token, text: text });
        if (r.status === 401) {
          this.forget();
          bubble = this.addMessage({ id: null, direction: "in", text: text });
          await this.newSession();
          r = await this.request("POST", "/api/widget/messages", { token: this.token, text: text });
        }
        var data = {};
        try { data = await r.json(); } catch (e) { /* not JSON: a proxy's error page */ }
        if (data.token) this.saveToken(data.token);
        if (data.language) this.setLanguage(data.language);
        if (r.ok) {
          bubble.classList.remove("pending");
          (data.messages || []).forEach(function (m) { this.addMessage(m, false); }, this);
          this.loaded = true;
          this.listen();
        } else if (r.status === 503) {
          // The gateway is up but the assistant is not: its own words say so, in the
          // conversation's language, with the phone number.
          failure = (data.messages && data.messages[0] && data.messages[0].text) || this.t("offline");
        } else if (r.status === 422 && typeof data.detail === "string") {
          failure = data.detail;
        } else {
          failure = this.t("error");
        }
      } catch (e) {
        failure = this.t("offline");
      }
      this.setBusy(false);
      this.sending = false;
      if (failure) {
        // Nothing the user wrote is lost: the text goes back into the box, ready to resend.
        if (bubble) bubble.remove();
        el.input.value = el.input.value ? text + " " + el.input.value : text;
        this.showAlert(failure, true);
      }
    }

    async restore() {
      if (this.restoring || !this.token) return;
      this.restoring = true;
      var log = this.el.log;
      log.setAttribute("aria-busy", "true");
      try {
        var r = await this.request("GET", "/api/widget/history?token=" + encodeURIComponent(this.token));
        if (r.status === 401) { this.forget(); return; }
        if (!r.ok) throw new NetworkError("history " + r.status);
        var data = await r.json();
        if (data.language) this.setLanguage(data.language);
        // Messages missed while the page was away count as new only after the first read.
        (data.messages || []).forEach(function (m) { this.addMessage(m, this.loaded); }, this);
        this.loaded = true;
        this.restoreDelay = 2000;
        this.listen();
      } catch (e) {
        // Try again later; the panel still works, and sending will succeed once online.
        var self = this;
        setTimeout(function () { self.restore(); }, this.restoreDelay);
        this.restoreDelay = Math.min(this.restoreDelay * 2, 60000);
      } finally {
        log.setAttribute("aria-busy", "false");
        this.restoring = false;
      }
    }

    listen() {
      // Later messages (a counsellor's reply, a reminder) arrive as server-sent events.
      if (!this.token || this.events || !window.EventSource) return;
      var self = this;
      var url = GATEWAY + "/api/widget/events?token=" + encodeURIComponent(this.token) + "&after=" + this.lastId;
      var source = new EventSource(url);
      source.onopen = function () { self.eventsBackoff = 2000; };
      source.onmessage = function (ev) {
        var m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        self.addMessage(m, true);
        if (m.language) self.setLanguage(m.language);
      };
      source.onerror = function () {
        // EventSource retries by itself after a dropped connection; it gives up (CLOSED)
        // on an HTTP error such as 401. Then re-read the history (which also tells an
        // expired token apart from a gateway that is down) and listen again.
        if (source.readyState !== EventSource.CLOSED) return;
        source.close();
        if (self.events === source) self.events = null;
        setTimeout(function () { self.restore(); }, self.eventsBackoff);
        self.eventsBackoff = Math.min(self.eventsBackoff * 2, 60000);
      };
      this.events = source;
    }
  }

  customElements.define("hirondelle-chat", HirondelleChat);

  function mount() {
    if (!document.querySelector("hirondelle-chat")) document.body.appendChild(document.createElement("hirondelle-chat"));
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
