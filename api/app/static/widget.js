/*
 * Hirondelle chat widget. One tag embeds it on any page:
 *
 *   <script src="https://GATEWAY/widget.js" data-gateway="https://GATEWAY" defer></script>
 *
 * Optional attributes: data-title (header text), data-lang (the page's language, when
 * its <html lang> is not set or not right). Plain JavaScript, no dependencies, no build
 * step. It renders inside a shadow root, so the host page's CSS and the widget's never mix.
 *
 * Interface language: the one the person picked in the widget, else the conversation's,
 * else the visitor's browser languages (the first of the nine), else the page's
 * (data-lang, then <html lang>), else English. A Turkish phone on an English page gets a
 * Turkish widget: the visitor reads it, not the site.
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
  var PAGE_LANG = script && script.getAttribute("data-lang");
  var MAX_CHARS = 2000;
  var REQUEST_TIMEOUT_MS = 30000;
  var TOKEN_KEY = "hirondelle-chat:token:" + GATEWAY;
  var OPEN_KEY = "hirondelle-chat:open:" + GATEWAY;
  // A language picked in the widget and not yet told to the gateway (sent with the next message).
  var PICK_KEY = "hirondelle-chat:lang:" + GATEWAY;
  // The privacy notice has been seen on this device.
  var NOTICE_KEY = "hirondelle-chat:notice:" + GATEWAY;
  var RTL = { ar: true };
  // In their own names, in the order of the gateway's language menu.
  var LANGUAGES = [["fr", "Français"], ["nl", "Nederlands"], ["en", "English"], ["es", "Español"],
    ["de", "Deutsch"], ["ru", "Русский"], ["tr", "Türkçe"], ["it", "Italiano"], ["ar", "العربية"]];
  // Appointments take place in Brussels: their times are shown in Brussels time.
  var SERVICE_TZ = "Europe/Brussels";

  // The widget's own words, in the service's nine languages. The assistant's answers
  // come from the gateway; these only label the controls.
  var UI = {
    en: { title: "Assistant", open: "Open the chat", close: "Close the chat", log: "Conversation",
          label: "Your message", placeholder: "Write your message…", send: "Send", retry: "Try again",
          offline: "The assistant cannot be reached. Check your connection. Your message is still here.",
          error: "Something went wrong. Your message is still here.",
          tooLong: "Your message is too long: at most {n} characters.", unread: "new message",
          you: "You:", person: "counsellor", bot: "Assistant:", suggestions: "Suggested answers",
          hello: "Hello! Write your question in your own language.",
          lang: "Language", menu: "Menu", privacy: "Your data",
          kept: "We keep the messages of this conversation for {days}. Then they are deleted.",
          keptSome: "We keep the messages of this conversation for a limited time.",
          how: "To delete them now: open the menu (⋮) and choose “Delete my data”, or write “{words}”.",
          words: "delete my data", ok: "OK", forget: "Forget this conversation on this device",
          forgetInfo: "The conversation will disappear from this device. We keep it, and your appointments stay booked.",
          note: "First, write down your appointment reference:", forgetDo: "Yes, forget",
          forgotten: "Done. This device no longer shows the conversation.", erase: "Delete my data",
          eraseInfo: "All your messages will be deleted from our service. This cannot be undone.",
          eraseAppts: "Your upcoming appointments will be cancelled:", eraseDo: "Yes, delete",
          erased: "Done. Your data has been deleted.", back: "No, go back", social: "Social permanence",
          legal: "Free legal permanence", failed: "That did not work. Check your connection and try again." },
    fr: { title: "Assistant", open: "Ouvrir la discussion", close: "Fermer la discussion", log: "Conversation",
          label: "Votre message", placeholder: "Écrivez votre message…", send: "Envoyer", retry: "Réessayer",
          offline: "Impossible de joindre l'assistant. Vérifiez votre connexion. Votre message est conservé.",
          error: "Un problème est survenu. Votre message est conservé.",
          tooLong: "Votre message est trop long : {n} caractères au maximum.", unread: "nouveau message",
          you: "Vous :", person: "conseiller", bot: "Assistant :", suggestions: "Réponses suggérées",
          hello: "Bonjour ! Écrivez votre question dans votre langue.",
          lang: "Langue", menu: "Menu", privacy: "Vos données",
          kept: "Nous gardons les messages de cette conversation pendant {days}. Ensuite, ils sont effacés.",
          keptSome: "Nous gardons les messages de cette conversation pendant une durée limitée.",
          how: "Pour les effacer maintenant : ouvrez le menu (⋮) et choisissez « Effacer mes données », ou écrivez « {words} ».",
          words: "effacer mes données", ok: "OK", forget: "Oublier cette conversation sur cet appareil",
          forgetInfo: "La conversation disparaîtra de cet appareil. Nous la gardons, et vos rendez-vous restent réservés.",
          note: "Notez d'abord la référence de votre rendez-vous :", forgetDo: "Oui, oublier",
          forgotten: "C'est fait. Cet appareil ne montre plus la conversation.", erase: "Effacer mes données",
          eraseInfo: "Tous vos messages seront effacés de notre service. On ne peut pas revenir en arrière.",
          eraseAppts: "Vos prochains rendez-vous seront annulés :", eraseDo: "Oui, effacer",
          erased: "C'est fait. Vos données sont effacées.", back: "Non, retour", social: "Permanence sociale",
          legal: "Permanence juridique gratuite",
          failed: "Cela n'a pas marché. Vérifiez votre connexion et réessayez." },
    nl: { title: "Assistent", open: "Chat openen", close: "Chat sluiten", log: "Gesprek",
          label: "Uw bericht", placeholder: "Schrijf uw bericht…", send: "Versturen", retry: "Opnieuw proberen",
          offline: "De assistent is niet bereikbaar. Controleer uw verbinding. Uw bericht blijft bewaard.",
          error: "Er ging iets mis. Uw bericht blijft bewaard.",
          tooLong: "Uw bericht is te lang: maximaal {n} tekens.", unread: "nieuw bericht",
          you: "U:", person: "consulent", bot: "Assistent:", suggestions: "Voorgestelde antwoorden",
          hello: "Hallo! Schrijf uw vraag in uw eigen taal.",
          lang: "Taal", menu: "Menu", privacy: "Uw gegevens",
          kept: "We bewaren de berichten van dit gesprek gedurende {days}. Daarna worden ze verwijderd.",
          keptSome: "We bewaren de berichten van dit gesprek een beperkte tijd.",
          how: "Nu verwijderen: open het menu (⋮) en kies „Mijn gegevens verwijderen”, of schrijf „{words}”.",
          words: "verwijder mijn gegevens", ok: "OK", forget: "Dit gesprek vergeten op dit toestel",
          forgetInfo: "Het gesprek verdwijnt van dit toestel. Wij bewaren het, en uw afspraken blijven staan.",
          note: "Noteer eerst de referentie van uw afspraak:", forgetDo: "Ja, vergeten",
          forgotten: "Gedaan. Dit toestel toont het gesprek niet meer.", erase: "Mijn gegevens verwijderen",
          eraseInfo: "Al uw berichten worden verwijderd uit onze dienst. Dit kan niet ongedaan worden gemaakt.",
          eraseAppts: "Uw komende afspraken worden geannuleerd:", eraseDo: "Ja, verwijderen",
          erased: "Gedaan. Uw gegevens zijn verwijderd.", back: "Nee, terug", social: "Sociale permanentie",
          legal: "Gratis juridische permanentie",
          failed: "Het is niet gelukt. Controleer uw verbinding en probeer opnieuw." },
    es: { title: "Asistente", open: "Abrir el chat", close: "Cerrar el chat", log: "Conversación",
          label: "Su mensaje", placeholder: "Escriba su mensaje…", send: "Enviar", retry: "Reintentar",
          offline: "No se puede contactar con el asistente. Compruebe su conexión. Su mensaje sigue aquí.",
          error: "Algo salió mal. Su mensaje sigue aquí.",
          tooLong: "Su mensaje es demasiado largo: {n} caracteres como máximo.", unread: "mensaje nuevo",
          you: "Usted:", person: "consejero", bot: "Asistente:", suggestions: "Respuestas sugeridas",
          hello: "¡Hola! Escriba su pregunta en su idioma.",
          lang: "Idioma", menu: "Menú", privacy: "Sus datos",
          kept: "Guardamos los mensajes de esta conversación durante {days}. Después se borran.",
          keptSome: "Guardamos los mensajes de esta conversación durante un tiempo limitado.",
          how: "Para borrarlos ahora: abra el menú (⋮) y elija «Borrar mis datos», o escriba «{words}».",
          words: "borrar mis datos", ok: "OK", forget: "Olvidar esta conversación en este dispositivo",
          forgetInfo: "La conversación desaparecerá de este dispositivo. Nosotros la guardamos y sus citas siguen reservadas.",
          note: "Primero apunte la referencia de su cita:", forgetDo: "Sí, olvidar",
          forgotten: "Hecho. Este dispositivo ya no muestra la conversación.", erase: "Borrar mis datos",
          eraseInfo: "Todos sus mensajes se borrarán de nuestro servicio. No se puede deshacer.",
          eraseAppts: "Sus próximas citas se cancelarán:", eraseDo: "Sí, borrar",
          erased: "Hecho. Sus datos se han borrado.", back: "No, volver", social: "Atención social",
          legal: "Atención jurídica gratuita", failed: "No funcionó. Compruebe su conexión e inténtelo de nuevo." },
    de: { title: "Assistent", open: "Chat öffnen", close: "Chat schließen", log: "Unterhaltung",
          label: "Ihre Nachricht", placeholder: "Schreiben Sie Ihre Nachricht…", send: "Senden",
          retry: "Erneut versuchen",
          offline: "Der Assistent ist nicht erreichbar. Prüfen Sie Ihre Verbindung. Ihre Nachricht bleibt erhalten.",
          error: "Etwas ist schiefgelaufen. Ihre Nachricht bleibt erhalten.",
          tooLong: "Ihre Nachricht ist zu lang: höchstens {n} Zeichen.", unread: "neue Nachricht",
          you: "Sie:", person: "Berater", bot: "Assistent:", suggestions: "Antwortvorschläge",
          hello: "Hallo! Schreiben Sie Ihre Frage in Ihrer Sprache.",
          lang: "Sprache", menu: "Menü", privacy: "Ihre Daten",
          kept: "Wir bewahren die Nachrichten dieses Gesprächs {days} lang auf. Danach werden sie gelöscht.",
          keptSome: "Wir bewahren die Nachrichten dieses Gesprächs für begrenzte Zeit auf.",
          how: "Jetzt löschen: Öffnen Sie das Menü (⋮) und wählen Sie „Meine Daten löschen“, oder schreiben Sie „{words}“.",
          words: "meine Daten löschen", ok: "OK", forget: "Dieses Gespräch auf diesem Gerät vergessen",
          forgetInfo: "Das Gespräch verschwindet von diesem Gerät. Wir bewahren es auf, und Ihre Termine bleiben gebucht.",
          note: "Notieren Sie zuerst die Referenz Ihres Termins:", forgetDo: "Ja, vergessen",
          forgotten: "Erledigt. Dieses Gerät zeigt das Gespräch nicht mehr.", erase: "Meine Daten löschen",
          eraseInfo: "Alle Ihre Nachrichten werden aus unserem Dienst gelöscht. Das kann man nicht rückgängig machen.",
          eraseAppts: "Ihre kommenden Termine werden abgesagt:", eraseDo: "Ja, löschen",
          erased: "Erledigt. Ihre Daten sind gelöscht.", back: "Nein, zurück", social: "Sozialsprechstunde",
          legal: "Kostenlose Rechtsberatung",
          failed: "Das hat nicht geklappt. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut." },
    ru: { title: "Помощник", open: "Открыть чат", close: "Закрыть чат", log: "Разговор",
          label: "Ваше сообщение", placeholder: "Напишите сообщение…", send: "Отправить", retry: "Повторить",
          offline: "Не удаётся связаться с помощником. Проверьте подключение. Ваше сообщение сохранено.",
          error: "Что-то пошло не так. Ваше сообщение сохранено.",
          tooLong: "Сообщение слишком длинное: не более {n} символов.", unread: "новое сообщение",
          you: "Вы:", person: "консультант", bot: "Помощник:", suggestions: "Варианты ответа",
          hello: "Здравствуйте! Напишите свой вопрос на своём языке.",
          lang: "Язык", menu: "Меню", privacy: "Ваши данные",
          kept: "Мы храним сообщения этого разговора {days}. Потом они удаляются.",
          keptSome: "Мы храним сообщения этого разговора ограниченное время.",
          how: "Чтобы удалить их сейчас: откройте меню (⋮) и выберите «Удалить мои данные» или напишите «{words}».",
          words: "удалить мои данные", ok: "OK", forget: "Забыть этот разговор на этом устройстве",
          forgetInfo: "Разговор исчезнет с этого устройства. Мы его сохраним, и ваши записи на приём останутся в силе.",
          note: "Сначала запишите номер вашей записи:", forgetDo: "Да, забыть",
          forgotten: "Готово. Это устройство больше не показывает разговор.", erase: "Удалить мои данные",
          eraseInfo: "Все ваши сообщения будут удалены из нашей службы. Отменить это нельзя.",
          eraseAppts: "Ваши будущие записи на приём будут отменены:", eraseDo: "Да, удалить",
          erased: "Готово. Ваши данные удалены.", back: "Нет, назад", social: "Социальный приём",
          legal: "Бесплатный юридический приём",
          failed: "Не получилось. Проверьте подключение и попробуйте ещё раз." },
    tr: { title: "Asistan", open: "Sohbeti aç", close: "Sohbeti kapat", log: "Sohbet",
          label: "Mesajınız", placeholder: "Mesajınızı yazın…", send: "Gönder", retry: "Tekrar dene",
          offline: "Asistana ulaşılamıyor. Bağlantınızı kontrol edin. Mesajınız burada duruyor.",
          error: "Bir sorun oluştu. Mesajınız burada duruyor.",
          tooLong: "Mesajınız çok uzun: en fazla {n} karakter.", unread: "yeni mesaj",
          you: "Siz:", person: "danışman", bot: "Asistan:", suggestions: "Önerilen cevaplar",
          hello: "Merhaba! Sorunuzu kendi dilinizde yazın.",
          lang: "Dil", menu: "Menü", privacy: "Verileriniz",
          kept: "Bu sohbetin mesajlarını {days} boyunca saklıyoruz. Sonra silinirler.",
          keptSome: "Bu sohbetin mesajlarını sınırlı bir süre saklıyoruz.",
          how: "Şimdi silmek için: menüyü (⋮) açın ve “Verilerimi sil” seçin ya da “{words}” yazın.",
          words: "verilerimi sil", ok: "Tamam", forget: "Bu sohbeti bu cihazda unut",
          forgetInfo: "Sohbet bu cihazdan kaybolur. Biz saklarız ve randevularınız geçerli kalır.",
          note: "Önce randevu numaranızı not edin:", forgetDo: "Evet, unut",
          forgotten: "Tamam. Bu cihaz artık sohbeti göstermiyor.", erase: "Verilerimi sil",
          eraseInfo: "Tüm mesajlarınız hizmetimizden silinir. Bu geri alınamaz.",
          eraseAppts: "Yaklaşan randevularınız iptal edilecek:", eraseDo: "Evet, sil",
          erased: "Tamam. Verileriniz silindi.", back: "Hayır, geri dön", social: "Sosyal danışma",
          legal: "Ücretsiz hukuki danışma", failed: "Olmadı. Bağlantınızı kontrol edip tekrar deneyin." },
    it: { title: "Assistente", open: "Apri la chat", close: "Chiudi la chat", log: "Conversazione",
          label: "Il suo messaggio", placeholder: "Scriva il suo messaggio…", send: "Invia", retry: "Riprova",
          offline: "Impossibile raggiungere l'assistente. Controlli la connessione. Il suo messaggio è ancora qui.",
          error: "Qualcosa è andato storto. Il suo messaggio è ancora qui.",
          tooLong: "Il messaggio è troppo lungo: al massimo {n} caratteri.", unread: "nuovo messaggio",
          you: "Lei:", person: "consulente", bot: "Assistente:", suggestions: "Risposte suggerite",
          hello: "Buongiorno! Scriva la sua domanda nella sua lingua.",
          lang: "Lingua", menu: "Menu", privacy: "I suoi dati",
          kept: "Conserviamo i messaggi di questa conversazione per {days}. Poi vengono cancellati.",
          keptSome: "Conserviamo i messaggi di questa conversazione per un tempo limitato.",
          how: "Per cancellarli ora: apra il menu (⋮) e scelga «Cancella i miei dati», oppure scriva «{words}».",
          words: "cancella i miei dati", ok: "OK", forget: "Dimentica questa conversazione su questo dispositivo",
          forgetInfo: "La conversazione sparirà da questo dispositivo. Noi la conserviamo e i suoi appuntamenti restano prenotati.",
          note: "Prima annoti il riferimento del suo appuntamento:", forgetDo: "Sì, dimentica",
          forgotten: "Fatto. Questo dispositivo non mostra più la conversazione.", erase: "Cancella i miei dati",
          eraseInfo: "Tutti i suoi messaggi saranno cancellati dal nostro servizio. Non si può tornare indietro.",
          eraseAppts: "I suoi prossimi appuntamenti saranno annullati:", eraseDo: "Sì, cancella",
          erased: "Fatto. I suoi dati sono stati cancellati.", back: "No, torna indietro",
          social: "Sportello sociale", legal: "Sportello legale gratuito",
          failed: "Non ha funzionato. Controlli la connessione e riprovi." },
    ar: { title: "المساعد", open: "افتح المحادثة", close: "أغلق المحادثة", log: "المحادثة",
          label: "رسالتك", placeholder: "اكتب رسالتك…", send: "إرسال", retry: "أعد المحاولة",
          offline: "لا يمكن الوصول إلى المساعد. تحقّق من اتصالك بالإنترنت. رسالتك ما زالت هنا.",
          error: "حدث خطأ ما. رسالتك ما زالت هنا.",
          tooLong: "رسالتك طويلة جدًا: {n} حرفًا على الأكثر.", unread: "رسالة جديدة",
          you: "أنت:", person: "مستشار", bot: "المساعد:", suggestions: "ردود مقترحة",
          hello: "مرحبًا! اكتب سؤالك بلغتك.",
          lang: "اللغة", menu: "القائمة", privacy: "بياناتك",
          kept: "نحتفظ برسائل هذه المحادثة لمدة {days}، ثم نحذفها.",
          keptSome: "نحتفظ برسائل هذه المحادثة لمدة محدودة.",
          how: "لحذفها الآن: افتح القائمة (⋮) واختر «احذف بياناتي»، أو اكتب «{words}».", words: "احذف بياناتي",
          ok: "حسنًا", forget: "انسَ هذه المحادثة على هذا الجهاز",
          forgetInfo: "ستختفي المحادثة من هذا الجهاز. نحن نحتفظ بها، وتبقى مواعيدك محجوزة.",
          note: "اكتب أولًا مرجع موعدك:", forgetDo: "نعم، انسَ", forgotten: "تم. لم يعد هذا الجهاز يعرض المحادثة.",
          erase: "احذف بياناتي", eraseInfo: "ستُحذف كل رسائلك من خدمتنا. لا يمكن التراجع عن ذلك.",
          eraseAppts: "ستُلغى مواعيدك القادمة:", eraseDo: "نعم، احذف", erased: "تم. حُذفت بياناتك.",
          back: "لا، رجوع", social: "الاستقبال الاجتماعي", legal: "الاستشارة القانونية المجانية",
          failed: "لم ينجح ذلك. تحقّق من اتصالك وحاول مرة أخرى." }
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
    ".close:hover, .menu-btn:hover { background: rgba(255,255,255,.16); }",
    ".head h2 { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    ".menu-btn { width: 44px; height: 44px; border: 0; border-radius: 8px; background: transparent; color: #fff;",
    "  display: grid; place-items: center; padding: 0; flex: none; }",
    ".menu-btn svg { width: 22px; height: 22px; }",
    ".lang { flex: none; max-width: 8.5em; min-height: 44px; font: inherit; font-size: 15px; color: #1b1b1b;",
    "  background: #fff; border: 1px solid #fff; border-radius: 8px; padding: 4px 6px; }",
    ".head { position: relative; }",
    ".menu { position: absolute; top: 100%; inset-inline: 8px; z-index: 2; display: flex; flex-direction: column;",
    "  background: #fff; border: 1px solid #c9ced6; border-radius: 0 0 10px 10px; overflow: hidden;",
    "  box-shadow: 0 8px 20px rgba(0,0,0,.25); }",
    ".menu button { min-height: 48px; padding: 10px 16px; border: 0; border-bottom: 1px solid #e3e6ea;",
    "  background: #fff; color: #0b4f8a; text-align: start; font-size: 16px; }",
    ".menu button:hover { background: #e8f0f8; }",
    ".menu button.danger { color: #9b1c1c; }",
    ".sheet { flex: none; max-height: 60%; overflow-y: auto; padding: 12px 16px; background: #fff;",
    "  border-bottom: 1px solid #c9ced6; box-shadow: 0 2px 6px rgba(0,0,0,.08); }",
    ".sheet h3 { margin: 0 0 6px; font-size: 16px; }",
    ".sheet p { margin: 0 0 8px; }",
    ".sheet ul { margin: 0 0 8px; padding-inline-start: 20px; }",
    ".sheet .ref { font-weight: 700; font-size: 18px; letter-spacing: .06em; }",
    ".sheet .actions { display: flex; flex-wrap: wrap; gap: 8px; }",
    ".sheet .actions button { min-height: 44px; padding: 6px 16px; border-radius: 8px; border: 2px solid #0b4f8a;",
    "  background: #fff; color: #0b4f8a; font-weight: 600; }",
    ".sheet .actions button.primary { background: #0b4f8a; color: #fff; }",
    ".sheet .actions button.danger { background: #9b1c1c; border-color: #9b1c1c; color: #fff; }",
    ".stamp { font-size: 12px; color: #555; margin-top: -4px; padding: 0 4px; }",
    ".stamp.out { align-self: flex-start; } .stamp.in { align-self: flex-end; }",
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
    // Many answers (a list of free times): they wrap into rows, never off the side.
    ".quick { display: flex; flex-wrap: wrap; gap: 6px; align-self: stretch; max-width: 100%; }",
    ".quick button { min-height: 44px; max-width: 100%; padding: 8px 14px; border-radius: 22px;",
    "  border: 2px solid #0b4f8a; background: #fff; color: #0b4f8a; font-size: 16px; text-align: start;",
    "  overflow-wrap: anywhere; }",
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
    "@media (forced-colors: active) { .msg, .quick button, .send, .retry, .launcher, .menu-btn, .close {",
    "  border: 1px solid; } }"
  ].join("\n");

  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
    'd="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 ' +
    '3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="none" ' +
    'stroke="currentColor" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/></svg>';

  var ICON_MENU = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" ' +
    'd="M12 5.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 8.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 8.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4z"/></svg>';

  var TEMPLATE =
    '<div class="root">' +
    '<section class="panel" id="panel" role="dialog" aria-modal="false" aria-labelledby="title" hidden>' +
    '<div class="head"><h2 id="title"></h2>' +
    '<select class="lang" id="lang"></select>' +
    '<button class="menu-btn" type="button" aria-expanded="false" aria-controls="menu">' + ICON_MENU + '</button>' +
    // Right after its button, so that Tab goes from the button into the open menu.
    '<div class="menu" id="menu" hidden>' +
    '<button type="button" data-action="privacy"></button>' +
    '<button type="button" data-action="forget"></button>' +
    '<button type="button" data-action="erase" class="danger"></button></div>' +
    '<button class="close" type="button">' + ICON_CLOSE + '</button></div>' +
    '<section class="sheet" id="sheet" aria-labelledby="sheet-title" hidden>' +
    '<h3 id="sheet-title" tabindex="-1"></h3><div class="sheet-body"></div><div class="actions"></div></section>' +
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
        launcher: $(".launcher"), badge: $(".badge"), lang: $(".lang"), menuBtn: $(".menu-btn"),
        menu: $(".menu"), sheet: $(".sheet"), sheetTitle: $("#sheet-title"), sheetBody: $(".sheet-body"),
        sheetActions: $(".sheet .actions")
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
      this.retentionDays = null; // from the gateway (GET /api/widget/privacy), never assumed
      this.sheetRender = null;   // redraws the open notice or confirmation in a new language
      var picked = local.get(PICK_KEY);
      this.picked = UI[picked] ? picked : null;
      this.uiLang = this.picked || this.browserLanguage();
      LANGUAGES.forEach(function (entry) {
        var opt = document.createElement("option");
        opt.value = entry[0];
        opt.textContent = entry[1];
        opt.lang = entry[0];
        this.el.lang.appendChild(opt);
      }, this);
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

    browserLanguage() {
      return pickLanguage((navigator.languages || [navigator.language])
        .concat([PAGE_LANG, document.documentElement.lang]));
    }

    // Intl's locale for the interface language. Arabic keeps Western digits, as in the
    // assistant's own messages ("9:00", phone numbers) and in Maghreb usage.
    locale() { return this.uiLang === "ar" ? "ar-u-nu-latn" : this.uiLang; }

    bind() {
      var self = this, el = this.el;
      el.launcher.addEventListener("click", function () {
        if (el.panel.hidden) self.open(true); else self.close();
      });
      el.close.addEventListener("click", function () { self.close(); });
      el.root.addEventListener("keydown", function (ev) {
        if (ev.key !== "Escape" || el.panel.hidden) return;
        ev.preventDefault();
        if (!el.menu.hidden) { self.toggleMenu(false); el.menuBtn.focus(); } else self.close();
      });
      el.lang.addEventListener("change", function () { self.pick(el.lang.value); });
      // How the last control was used: a tap on a touch screen must not open the keyboard.
      el.root.addEventListener("pointerdown", function (ev) { self.pointer = ev.pointerType; }, true);
      el.root.addEventListener("keydown", function () { self.pointer = ""; }, true);
      el.menuBtn.addEventListener("click", function () { self.toggleMenu(el.menu.hidden); });
      el.panel.addEventListener("click", function (ev) {
        // A tap anywhere else closes the open menu.
        if (!el.menu.hidden && !el.menu.contains(ev.target) && !el.menuBtn.contains(ev.target)) self.toggleMenu(false);
      });
      el.menu.addEventListener("click", function (ev) {
        var action = ev.target.closest && ev.target.closest("button") && ev.target.closest("button").dataset.action;
        if (!action) return;
        self.toggleMenu(false);
        if (action === "privacy") self.showNotice(true);
        else if (action === "forget") self.confirmForget();
        else if (action === "erase") self.confirmErase();
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
      // The conversation's language, from the gateway. A language just picked in the
      // widget wins until the gateway has been told (with the next message).
      if (!lang || !UI[lang] || (this.picked && this.picked !== lang)) return;
      this.language = lang;
      this.uiLang = lang;
      this.applyLanguage();
    }

    pick(lang) {
      // The picker: the interface changes at once; the conversation is told with the next
      // message (the gateway takes it as an explicit choice, like "English please").
      if (!UI[lang]) return;
      this.picked = lang;
      local.set(PICK_KEY, lang);
      this.uiLang = lang;
      this.applyLanguage();
    }

    applyLanguage() {
      var el = this.el, lang = this.uiLang;
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
      el.lang.value = lang;
      el.lang.setAttribute("aria-label", this.t("lang"));
      el.menuBtn.setAttribute("aria-label", this.t("menu"));
      el.menu.querySelector("[data-action=privacy]").textContent = this.t("privacy");
      el.menu.querySelector("[data-action=forget]").textContent = this.t("forget");
      el.menu.querySelector("[data-action=erase]").textContent = this.t("erase");
      var stamps = el.log.querySelectorAll("time.stamp");
      for (var i = 0; i < stamps.length; i++) stamps[i].textContent = this.formatTime(new Date(stamps[i].dateTime));
      if (this.sheetRender) this.sheetRender();
      this.updateLauncher();
    }

    formatTime(date) {
      // The visitor's own clock; the day too when it is not today.
      var today = new Date().toDateString() === date.toDateString();
      var opts = today ? { hour: "2-digit", minute: "2-digit" }
                       : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
      try { return new Intl.DateTimeFormat(this.locale(), opts).format(date); } catch (e) { return ""; }
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
      if (focus) this.focusAfterTap(null); // the text box, except after a tap on a touch screen
      if (this.token && !this.loaded) this.restore();
      // The privacy notice, once per device: it does not take the focus (the person
      // came to write), it sits above the conversation until dismissed.
      if (local.get(NOTICE_KEY) !== "1" && el.sheet.hidden) this.showNotice(false);
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
      // When it was written, on the visitor's clock (the server's time for stored messages).
      var when = m.created_at ? new Date(m.created_at) : new Date();
      var stamp = document.createElement("time");
      stamp.className = "stamp " + (out ? "out" : "in");
      stamp.dateTime = when.toISOString();
      stamp.textContent = this.formatTime(when);
      bubble.stamp = stamp;
      var before = this.typing && this.typing.parentNode ? this.typing : null;
      el.log.insertBefore(bubble, before);
      el.log.insertBefore(stamp, before);
      if (out && m.buttons && m.buttons.length) this.showQuickReplies(m.buttons, stamp);
      if (out && live && el.panel.hidden) { this.unread += 1; this.updateLauncher(); }
      this.scrollToEnd();
      return bubble;
    }

    showQuickReplies(buttons, after) {
      // Only the latest message's answers are offered: every new message (theirs or the
      // assistant's) removes the previous ones (clearQuickReplies), so an old list of
      // times can never be tapped by mistake.
      var self = this, group = document.createElement("div");
      group.className = "quick";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", this.t("suggestions"));
      buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.setAttribute("dir", "auto");
        btn.textContent = b.title || b.payload;
        btn.addEventListener("click", function (ev) {
          // The group is about to go; focus must not fall to the page. A keyboard or
          // mouse user goes on in the text box; on a touch screen that would open the
          // keyboard over the answer, so the focus waits on the conversation instead.
          self.focusAfterTap(ev);
          self.send(b.payload || b.title, { label: b.title && b.title !== b.payload ? b.title : null });
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

    focusAfterTap(ev) {
      // After a control that goes away (a quick reply, a notice's button): a keyboard or
      // mouse user goes on in the text box; on a touch screen that would open the
      // keyboard over the answer, so the focus waits on the conversation instead.
      var type = (ev && ev.pointerType) || this.pointer;
      if (type === "touch" || type === "pen") this.el.log.focus({ preventScroll: true });
      else this.el.input.focus();
    }

    // --- menu, privacy notice, forget, delete -----------------------------------------------

    toggleMenu(open) {
      this.el.menu.hidden = !open;
      this.el.menuBtn.setAttribute("aria-expanded", String(open));
    }

    // A notice or a confirmation above the conversation. render() fills it in the current
    // language and runs again when the language changes.
    openSheet(kind, render, focus) {
      this.sheetKind = kind;
      this.sheetRender = render;
      render();
      this.el.sheet.hidden = false;
      if (focus) this.el.sheetTitle.focus();
    }

    closeSheet(focusTo) {
      var el = this.el;
      el.sheet.hidden = true;
      this.sheetKind = null;
      this.sheetRender = null;
      el.sheetBody.textContent = "";
      el.sheetActions.textContent = "";
      if (focusTo) focusTo.focus();
    }

    fillSheet(title, parts, actions) {
      var el = this.el, self = this;
      el.sheetTitle.textContent = title;
      el.sheetBody.textContent = "";
      el.sheetActions.textContent = "";
      parts.forEach(function (part) {
        if (typeof part !== "string") { el.sheetBody.appendChild(part); return; }
        var p = document.createElement("p");
        p.setAttribute("dir", "auto");
        p.textContent = part;
        el.sheetBody.appendChild(p);
      });
      actions.forEach(function (a) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = a.cls || "";
        btn.textContent = a.text;
        btn.addEventListener("click", function (ev) { a.run.call(self, ev); });
        el.sheetActions.appendChild(btn);
      });
    }

    formatDays(n) {
      try {
        return new Intl.NumberFormat(this.locale(), { style: "unit", unit: "day", unitDisplay: "long" }).format(n);
      } catch (e) { return String(n); }
    }

    showNotice(fromMenu) {
      var self = this;
      this.openSheet("notice", function () {
        var days = self.retentionDays;
        self.fillSheet(self.t("privacy"), [
          days ? self.t("kept").replace("{days}", self.formatDays(days)) : self.t("keptSome"),
          self.t("how").replace("{words}", self.t("words"))
        ], [{ text: self.t("ok"), cls: "primary", run: function (ev) { self.dismissNotice(ev); } }]);
      }, fromMenu);
      if (this.retentionDays == null) this.loadPrivacy();
    }

    dismissNotice(ev) {
      // Seen once on this device is enough; the menu shows it again.
      local.set(NOTICE_KEY, "1");
      this.closeSheet(null);
      if (ev) this.focusAfterTap(ev);
    }

    async loadPrivacy() {
      try {
        var r = await this.request("GET", "/api/widget/privacy");
        if (!r.ok) return;
        this.retentionDays = (await r.json()).retention_days || null;
        if (this.sheetKind === "notice") this.sheetRender();
      } catch (e) { /* offline: the notice says "for a limited time" */ }
    }

    // The conversation's upcoming appointments: [] when there are none, null when the
    // gateway cannot be reached.
    async loadAppointments() {
      if (!this.token) return [];
      try {
        var r = await this.request("GET", "/api/widget/appointments?token=" + encodeURIComponent(this.token));
        if (r.status === 401) return [];
        if (!r.ok) return null;
        return (await r.json()).appointments || [];
      } catch (e) { return null; }
    }

    appointmentList(appointments) {
      var ul = document.createElement("ul"), self = this;
      var when = new Intl.DateTimeFormat(this.locale(), { weekday: "long", day: "numeric", month: "long",
        hour: "2-digit", minute: "2-digit", timeZone: SERVICE_TZ });
      appointments.forEach(function (a) {
        var li = document.createElement("li"), ref = document.createElement("span");
        li.setAttribute("dir", "auto");
        ref.className = "ref";
        ref.setAttribute("dir", "ltr");
        ref.textContent = a.reference;
        li.appendChild(ref);
        var comma = self.uiLang === "ar" ? "، " : ", ";
        li.appendChild(document.createTextNode(" — " + (self.t(a.service) || a.service) + comma +
          when.format(new Date(a.starts_at))));
        ul.appendChild(li);
      });
      return ul;
    }

    async confirmForget() {
      // A shared phone: the conversation leaves this device, nothing leaves the service.
      var self = this, appointments = await this.loadAppointments();
      this.openSheet("forget", function () {
        var parts = [self.t("forgetInfo")];
        if (appointments === null) parts.push(self.t("failed"));
        else if (appointments.length) parts.push(self.t("note"), self.appointmentList(appointments));
        self.fillSheet(self.t("forget"), parts, [
          { text: self.t("forgetDo"), cls: "primary", run: function () { self.clearDevice("forgotten"); } },
          { text: self.t("back"), run: function () { self.closeSheet(self.el.menuBtn); } }
        ]);
      }, true);
    }

    async confirmErase() {
      var self = this, appointments = await this.loadAppointments();
      this.openSheet("erase", function () {
        var parts = [self.t("eraseInfo")];
        if (appointments && appointments.length) parts.push(self.t("eraseAppts"), self.appointmentList(appointments));
        self.fillSheet(self.t("erase"), parts, [
          { text: self.t("eraseDo"), cls: "danger", run: function () { self.erase(); } },
          { text: self.t("back"), run: function () { self.closeSheet(self.el.menuBtn); } }
        ]);
      }, true);
    }

    async erase() {
      // The gateway's one erasure (the same as "delete my data" written in the chat).
      if (this.token) {
        var ok = false;
        try {
          var r = await this.request("DELETE", "/api/widget/conversation?token=" + encodeURIComponent(this.token));
          ok = r.status === 204;
        } catch (e) { ok = false; }
        if (!ok) {
          var p = document.createElement("p");
          p.setAttribute("role", "alert");
          p.textContent = this.t("failed");
          this.el.sheetBody.appendChild(p);
          return;
        }
      }
      this.clearDevice("erased");
    }

    clearDevice(doneKey) {
      // Nothing of the conversation stays in this browser: token, picked language, the
      // notice's "seen" (the next person on a shared phone sees it again).
      var self = this;
      this.forget();
      local.remove(PICK_KEY);
      local.remove(NOTICE_KEY);
      this.picked = null;
      this.loaded = false;
      this.uiLang = this.browserLanguage();
      this.applyLanguage();
      this.openSheet("done", function () {
        self.fillSheet(self.t(doneKey === "erased" ? "erase" : "forget"), [self.t(doneKey)], [
          { text: self.t("ok"), cls: "primary", run: function (ev) { self.closeSheet(null); self.focusAfterTap(ev); } }
        ]);
      }, true);
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
      var log = this.el.log, nodes = log.querySelectorAll(".msg, .quick, .stamp");
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

    // tap: a tapped quick reply ({label: its title}); the title is shown in place of its
    // payload (text), which is what the assistant gets; the gateway keeps the label for
    // the history.
    async send(text, tap) {
      var el = this.el, fromButton = !!tap, label = tap && tap.label;
      if (this.sending) return;
      if (!text || !text.trim()) { el.input.focus(); return; }
      if (text.length > MAX_CHARS) {
        this.showAlert(this.t("tooLong").replace("{n}", MAX_CHARS), false);
        return;
      }
      this.sending = true;
      this.hideAlert();
      if (!fromButton) el.input.value = "";
      if (this.sheetKind === "notice") this.dismissNotice(null);
      var shown = label || text;
      var bubble = this.addMessage({ id: null, direction: "in", text: shown });
      bubble.classList.add("pending");
      this.setBusy(true);
      var failure = null;
      var body = { text: text };
      if (label) body.label = label;
      if (this.picked) body.language = this.picked;
      try {
        if (!this.token) await this.newSession();
        var r = await this.request("POST", "/api/widget/messages", Object.assign({ token: this.token }, body));
        if (r.status === 401) {
          this.forget();
          bubble = this.addMessage({ id: null, direction: "in", text: shown });
          await this.newSession();
          r = await this.request("POST", "/api/widget/messages", Object.assign({ token: this.token }, body));
        }
        var data = {};
        try { data = await r.json(); } catch (e) { /* not JSON: a proxy's error page */ }
        if (data.token) this.saveToken(data.token);
        if (data.language && body.language) {
          // The gateway has settled the picked language (or the person's own words won).
          this.picked = null;
          local.remove(PICK_KEY);
        }
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
        if (bubble) { bubble.remove(); if (bubble.stamp) bubble.stamp.remove(); }
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
