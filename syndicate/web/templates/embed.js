/* syndicate embed: our headlines in every <div data-syndicate="CATEGORY"> of the page.
   Options: data-limit (1-20), data-theme (light|dark|auto), data-related="1", data-images="0".
   One global (SyndicateEmbed.render() renders elements added later), text set as text only,
   nothing rendered when our site is down or slow. */
(function (w, d) {
  "use strict";
  if (w.SyndicateEmbed) { w.SyndicateEmbed.render(); return; }
  var C = {{ config|tojson }};
  var MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
    "septembre", "octobre", "novembre", "décembre"];
  var seen = new WeakSet(), pending = {}, sheet = null;

  function warn(el, text) {
    if (w.console && console.warn) console.warn("syndicate embed: " + text, el);
  }

  function options(el) {
    var o = { category: el.getAttribute("data-syndicate") || "", limit: C.limit,
      theme: "light", related: false, images: true };
    if (!C.categories.hasOwnProperty(o.category)) {
      warn(el, "unknown category in data-syndicate: " + o.category);
      return null;
    }
    var limit = el.getAttribute("data-limit"), theme = el.getAttribute("data-theme");
    if (limit !== null) {
      if (/^[0-9]{1,2}$/.test(limit) && +limit >= 1 && +limit <= C.maxLimit) o.limit = +limit;
      else warn(el, "data-limit must be 1 to " + C.maxLimit);
    }
    if (theme !== null) {
      if (/^(light|dark|auto)$/.test(theme)) o.theme = theme;
      else warn(el, "data-theme must be light, dark or auto");
    }
    o.related = el.getAttribute("data-related") === "1";
    o.images = el.getAttribute("data-images") !== "0";
    return o;
  }

  function load(url) {
    if (!pending[url]) {
      var abort = new AbortController();
      var timer = setTimeout(function () { abort.abort(); }, C.timeout);
      pending[url] = fetch(url, { signal: abort.signal, credentials: "omit", mode: "cors" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .finally(function () { clearTimeout(timer); });
      pending[url].catch(function () { delete pending[url]; });
    }
    return pending[url];
  }

  function httpUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      var u = new URL(value, C.base + "/");
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function text(value) {
    return typeof value === "string" ? value.trim() : "";
  }

  function articles(data) {
    return (data && data.items || []).map(function (a) {
      return { title: a.title, url: a.url, date: a.published_at, source: C.site,
        image: a.image && a.image.url };
    });
  }

  function stories(data) {
    return (data && data.items || []).map(function (s) {
      var source = s._source && (s._source.name || s._source.title), url = httpUrl(s.url);
      return { title: s.title, url: url, date: s.date_published, image: s.image,
        source: text(source) || (url ? new URL(url).hostname : "") };
    });
  }

  function frenchDate(value) {
    var t = new Date(value);
    if (typeof value !== "string" || isNaN(t)) return "";
    var day = t.getUTCDate();
    return (day === 1 ? "1er" : day) + " " + MONTHS[t.getUTCMonth()] + " " + t.getUTCFullYear();
  }

  function node(tag, className, content) {
    var n = d.createElement(tag);
    n.className = className;
    if (content) n.textContent = content;
    return n;
  }

  function link(className, href, content) {
    var a = node("a", className, content);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }

  function style(root) {
    try {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(C.css);
      }
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(node("style", "", C.css));
    }
  }

  function render(el, o, items) {
    var root = el.attachShadow({ mode: "open" });
    style(root);
    var box = node("div", "sy sy-" + o.theme), head = node("p", "sy-head");
    var category = C.categories[o.category] || [C.site, C.base + "/"];
    head.appendChild(link("", category[1],
      o.related ? category[0] + " — chez nos partenaires" : category[0]));
    head.appendChild(d.createTextNode(" "));
    head.appendChild(node("span", "", C.site));
    box.appendChild(head);
    var list = node("ul", "sy-list");
    items.forEach(function (it) {
      var item = node("li", "sy-item"), body = node("div", "sy-body");
      var image = o.images && httpUrl(it.image);
      if (image) {
        var img = node("img", "sy-thumb");
        img.src = image;
        img.alt = "";
        img.loading = "lazy";
        img.width = 96;
        img.height = 64;
        item.appendChild(img);
      }
      body.appendChild(link("sy-link", it.url, it.title));
      var meta = node("p", "sy-meta", it.source ? it.source + " · " : "");
      var date = frenchDate(it.date);
      if (date) {
        var time = node("time", "", date);
        time.dateTime = it.date;
        meta.appendChild(time);
      }
      body.appendChild(meta);
      item.appendChild(body);
      list.appendChild(item);
    });
    box.appendChild(items.length ? list : node("p", "sy-empty", "Aucun article pour le moment."));
    root.appendChild(box);
  }

  function one(el) {
    if (seen.has(el) || el.shadowRoot) return;
    seen.add(el);
    var o = options(el);
    if (!o || o.related && !C.related) return;
    var slug = encodeURIComponent(o.category);
    var url = o.related ? C.base + "/feeds/" + slug + "/related.json"
      : C.base + "/api/v1/articles?" + (o.category === "all" ? "" : "category=" + slug + "&")
        + "per_page=" + o.limit;
    load(url).then(function (data) {
      var items = (o.related ? stories : articles)(data).filter(function (it) {
        it.title = text(it.title);
        it.url = httpUrl(it.url);
        return it.title && it.url;
      });
      render(el, o, items.slice(0, o.limit));
    }).catch(function () { /* our site is down, slow or refused: leave the element empty */ });
  }

  function scan() {
    var found = d.querySelectorAll("[data-syndicate]");
    for (var i = 0; i < found.length; i++) {
      try { one(found[i]); } catch (e) { /* never break the host page */ }
    }
  }

  w.SyndicateEmbed = { render: scan };
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", scan);
  else scan();
})(window, document);
