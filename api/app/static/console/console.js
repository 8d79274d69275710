// The counsellors' console: forms talk to the JSON API (/api/console) with the session's
// CSRF token; live parts reload server-rendered fragments when the event stream says
// something changed. No inline script: this file is the only script of the console.
(function () {
  "use strict";
  var body = document.body;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var statusEl = document.getElementById("status");
  var baseTitle = document.title;
  var seenUrgent = null;   // ids of urgent waiting conversations already announced
  var soundOn = false;
  var audio = null;

  function say(text, isError) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle("error", !!isError);
    statusEl.setAttribute("role", isError ? "alert" : "status");
  }

  function errorText(detail) {
    return (body.dataset.error || "{detail}").replace("{detail}", detail);
  }

  function formJson(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      var type = el.dataset.type;
      if (type === "list") {
        out[el.name] = out[el.name] || [];
        if (el.checked) out[el.name].push(el.value);
        return;
      }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      if (el.value === "" ) return;
      if (type === "int") out[el.name] = parseInt(el.value, 10);
      else if (type === "bool") out[el.name] = el.value === "true";
      else out[el.name] = el.value;
    });
    return out;
  }

  function api(method, url, data) {
    var init = {method: method, credentials: "same-origin",
                headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}};
    if (data !== undefined && method !== "GET" && method !== "DELETE") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(data);
    }
    return fetch(url, init).then(function (r) {
      if (r.status === 204) return {ok: r.ok, status: r.status, data: null};
      return r.json().catch(function () { return null; }).then(function (data) {
        return {ok: r.ok, status: r.status, data: data};
      });
    });
  }

  function detailOf(res) {
    var d = res.data && res.data.detail;
    if (Array.isArray(d)) return d.map(function (x) { return x.msg || String(x); }).join("; ");
    return d || ("HTTP " + res.status);
  }

  // --- fragments -------------------------------------------------------------------
  function refreshFragments() {
    var nodes = document.querySelectorAll("[data-fragment]");
    return Promise.all(Array.prototype.map.call(nodes, function (node) {
      return fetch(node.dataset.fragment, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) {
          if (r.status === 401) { location.href = "/console/login?next=" + encodeURIComponent(location.pathname); }
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.text();
        })
        .then(function (html) {
          node.innerHTML = html;
        });
    })).then(afterRender).catch(function () { say(body.dataset.liveOff || "", true); });
  }

  function afterRender() {
    checkUrgent();
    var conv = document.querySelector(".conversation-body");
    if (conv) {
      var mine = conv.dataset.mine === "yes";
      document.querySelectorAll("form[data-needs-mine]").forEach(function (f) {
        Array.prototype.forEach.call(f.elements, function (el) { el.disabled = !mine; });
      });
      document.querySelectorAll(".needs-take").forEach(function (p) { p.hidden = mine; });
    }
  }

  // --- urgent alert: banner, tab title, sound --------------------------------------
  function beep() {
    if (!soundOn) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach(function (at) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.2;
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(audio.currentTime + at);
        osc.stop(audio.currentTime + at + 0.25);
      });
    } catch (e) { /* no sound device: the banner and the title remain */ }
  }

  function alertUrgent(fresh) {
    var banner = document.getElementById("urgent-banner");
    if (banner) banner.hidden = false;
    document.title = "(!) " + (body.dataset.urgentText || "") + " · " + baseTitle;
    if (fresh) beep();
  }

  function checkUrgent() {
    var list = document.querySelector("[data-urgent-ids]");
    if (!list) return;
    var ids = (list.dataset.urgentIds || "").split(" ").filter(Boolean);
    var fresh = seenUrgent !== null && ids.some(function (id) { return seenUrgent.indexOf(id) < 0; });
    if (ids.length) alertUrgent(fresh || seenUrgent === null);
    else {
      var banner = document.getElementById("urgent-banner");
      if (banner) banner.hidden = true;
      document.title = baseTitle;
    }
    seenUrgent = ids;
  }

  // --- forms -----------------------------------------------------------------------
  function after(form, res) {
    var steps = (form.dataset.after || "refresh").split(" ");
    steps.forEach(function (step) {
      if (step === "clear") form.reset();
      else if (step === "refresh") refreshFragments();
      else if (step === "reload") location.reload();
      else if (step.indexOf("redirect:") === 0) location.href = step.slice(9);
      else if (step === "show-secret" && res.data) {
        var code = document.getElementById("totp-secret");
        if (code) code.textContent = res.data.secret;
      }
    });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.dataset || !form.dataset.api) return;
    ev.preventDefault();
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    api(form.dataset.method || "POST", form.dataset.api, formJson(form)).then(function (res) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (!res.ok) {
        say(errorText(detailOf(res)), true);
        if (res.status === 409) refreshFragments();
        return;
      }
      say(body.dataset.done || "OK", false);
      after(form, res);
    }).catch(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      say(errorText("network"), true);
    });
  });

  // --- phrasebook: pickers and preview ------------------------------------------------
  function phraseForm() { return document.getElementById("phrase-form"); }

  function updatePickers() {
    var form = phraseForm();
    if (!form) return;
    var option = form.elements.key.selectedOptions[0];
    var needs = option ? (option.dataset.needs || "").split(" ") : [];
    form.querySelectorAll("[data-picker]").forEach(function (p) {
      var needed = needs.indexOf(p.dataset.picker) >= 0;
      p.hidden = !needed;
      p.querySelector("input").required = needed;
    });
    preview();
  }

  var previewTimer = null;
  function preview() {
    var form = phraseForm();
    if (!form) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      var data = formJson(form);
      form.querySelectorAll("[data-picker][hidden] input").forEach(function (i) { delete data[i.name]; });
      data.language = form.dataset.userLanguage;
      var out = document.getElementById("phrase-preview");
      api("POST", form.dataset.preview, data).then(function (res) {
        out.textContent = res.ok ? res.data.text : detailOf(res);
        out.classList.toggle("error", !res.ok);
      });
    }, 150);
  }

  document.addEventListener("change", function (ev) {
    var form = phraseForm();
    if (form && form.contains(ev.target)) {
      if (ev.target.name === "key") updatePickers(); else preview();
    }
  });

  // --- sound toggle ----------------------------------------------------------------
  var toggle = document.getElementById("sound-toggle");
  if (toggle) {
    soundOn = sessionStorage.getItem("console-sound") === "on";
    var paint = function () {
      toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
      toggle.textContent = soundOn ? body.dataset.soundOn : toggle.dataset.offText;
    };
    toggle.dataset.offText = toggle.textContent;
    paint();
    toggle.addEventListener("click", function () {
      soundOn = !soundOn;
      sessionStorage.setItem("console-sound", soundOn ? "on" : "off");
      paint();
      beep();
    });
  }

  // --- live: the event stream --------------------------------------------------------
  if (body.dataset.page !== "login" && window.EventSource) {
    var live = document.getElementById("live");
    var convEl = document.querySelector("[data-conversation]");
    var pending = null;
    var source = new EventSource("/api/console/events");
    var kinds = ["waiting", "urgent", "alert", "danger", "taken", "released", "closed", "message", "replied", "updated",
                 "erased"];
    kinds.forEach(function (kind) {
      source.addEventListener(kind, function (ev) {
        var item = {};
        try { item = JSON.parse(ev.data); } catch (e) { /* keep going */ }
        if (kind === "urgent" || kind === "danger" || kind === "alert") alertUrgent(true);
        if (convEl && item.conversation_id && item.conversation_id !== convEl.dataset.conversation) return;
        // The open conversation was erased (by an admin, or by the person): nothing is left to show.
        if (convEl && kind === "erased") { location.href = "/console/queue"; return; }
        clearTimeout(pending);
        pending = setTimeout(refreshFragments, 100);
      });
    });
    source.onopen = function () {
      if (live) live.textContent = body.dataset.liveOn;
      // The stream starts at its connection: anything written between this page and
      // then (or while it was reconnecting) is fetched once now, never lost.
      refreshFragments();
    };
    source.onerror = function () { if (live) live.textContent = body.dataset.liveOff; };
  }

  afterRender();
  updatePickers();
})();
