/* talkbase search: material's search box answered from talkbase's own index (plugins/talkbase/search.py).
 *
 * One file, two roles. In the page it runs after material's configuration and before material's bundle, and
 * points material's search worker at itself; as that worker it answers material's queries from search.py's
 * index in search/talkbase/, fetching only the files the words typed need: one shard of the word index per
 * word, then the files that hold the texts of the sections it shows.
 *
 * Everything of material's this relies on is here; tested with mkdocs-material 9.8.2 (mkdocs_internals.py
 * checks the version, lists this file's reliance among its USES, and turns this file off with any other):
 *   - the JSON in <script id="__config">, whose "search" is the URL of the search worker;
 *   - the worker's messages: {type: 0 SETUP, data} -> {type: 1 READY}; {type: 2 QUERY, data: the query}
 *     -> {type: 3 RESULT, data: {items}}, items a list of pages, each a list of
 *     {location, title, text, score, terms}: the page itself (its location without "#") and its sections.
 *     Material shows title and text as HTML: everything here is escaped before it is marked up.
 */
(() => {
  "use strict";

  if (typeof document !== "undefined") {
    const element = document.getElementById("__config");
    const config = JSON.parse(element.textContent);
    config.search = document.currentScript.src;
    element.textContent = JSON.stringify(config);
    return;
  }

  const SETUP = 0, READY = 1, QUERY = 2, RESULT = 3;
  // Sections shown, of pages that hold the words and of pages that list them: each costs a fetch of its text.
  const ENTRIES = 24, LISTINGS = 6;
  const BEFORE = 40, LENGTH = 160;  // excerpt: characters before the first match, and in all
  const INDEX = new URL("../search/talkbase/", self.location.href);  // search.py's BUNDLE

  // As search.py's HAN and _WORD: a run of Chinese (and kana), or a word of letters and digits.
  const HAN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2ffff}]+/gu;
  const WORD = new RegExp(`(${HAN.source})|(?:(?!${HAN.source.slice(0, -1)})[\\p{L}\\p{N}_])+`, "gu");

  /* The words of a query, split as search.py's index_words splits the text (a run of Chinese into its
     character pairs); each [word, prefix]: one Chinese character alone finds every pair it begins, other
     words the longer words they begin (model: models, modeling). */
  function queryWords(query) {
    const words = [];
    for (const m of query.toLowerCase().matchAll(WORD)) {
      const word = m[0];
      if (m[1]) {
        const chars = Array.from(word);
        if (chars.length === 1) words.push([word, true]);
        for (let i = 0; i + 1 < chars.length; i++) words.push([chars[i] + chars[i + 1], false]);
      } else if (word.length > 3 && /^[\x00-\x7f]*s$/.test(word) && !word.endsWith("ss")) {
        words.push([word.slice(0, -1), true]);
      } else {
        words.push([word, true]);
      }
    }
    return words;
  }

  const escapeHTML = text => text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
  const escapeRegExp = text => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  /* `text` escaped, with what the query matched marked; cut to an excerpt around the first match if `cut`. */
  function mark(text, pattern, cut) {
    const spans = [];
    for (const m of text.matchAll(pattern)) if (m[0]) spans.push([m.index, m.index + m[0].length]);
    let start = 0, end = text.length;
    if (cut) {
      start = spans.length && spans[0][0] > BEFORE ? spans[0][0] - BEFORE : 0;
      end = Math.min(text.length, start + LENGTH);
    }
    let out = start > 0 ? "…" : "", at = start;
    for (const [from, to] of spans) {
      if (to <= at || from >= end) continue;
      out += escapeHTML(text.slice(at, Math.max(at, from))) + "<mark>" + escapeHTML(text.slice(Math.max(at, from), Math.min(to, end))) + "</mark>";
      at = Math.min(to, end);
    }
    return out + escapeHTML(text.slice(at, end)) + (end < text.length ? "…" : "");
  }

  /* search.py's shard_of: FNV-1a, in UTF-8, of the first character of a Chinese pair, the first two of others. */
  const HAN_CHAR = new RegExp(`^${HAN.source.slice(0, -1)}`, "u");
  function shardOf(word, shards) {
    let h = 0x811c9dc5;
    const key = Array.from(word).slice(0, HAN_CHAR.test(word) ? 1 : 2).join("");
    for (const byte of new TextEncoder().encode(key))
      h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    return h % shards;
  }

  let manifest = null, latest = 0;
  const files = new Map();  // the index's files fetched so far: each once per visit

  function load(name) {
    if (!files.has(name)) {
      const url = new URL(`${name}.bin?v=${manifest.build}`, INDEX);
      files.set(name, fetch(url).then(response => {
        if (!response.ok) throw new Error(`${url}: ${response.status}`);
        return new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).json();
      }));
      files.get(name).catch(() => files.delete(name));
    }
    return files.get(name);
  }

  async function setup() {
    const response = await fetch(new URL("index.json", INDEX), { cache: "no-cache" });
    manifest = await response.json();
  }

  /* Scores of the records that hold every word of the query: BM25, the weights summed up. */
  async function score(words) {
    const shards = await Promise.all(words.map(([word]) => load(`w${shardOf(word, manifest.shards)}`)));
    let scores = null;
    words.forEach(([word, prefix], i) => {
      const found = new Map();
      for (const [key, posting] of Object.entries(shards[i])) {
        if (key !== word && !(prefix && key.startsWith(word))) continue;
        const idf = posting[0] / 100, count = (posting.length - 1) / 2, near = key === word ? 1 : 0.8;
        for (let j = 0, number = 0; j < count; j++) {
          number += posting[1 + j];
          const value = near * idf * posting[1 + count + j] / 100;
          if (value > (found.get(number) || 0)) found.set(number, value);
        }
      }
      if (scores === null) scores = found;
      else for (const [number, value] of scores)
        if (found.has(number)) scores.set(number, value + found.get(number)); else scores.delete(number);
    });
    return scores || new Map();
  }

  /* Material's result for `query`: pages that hold the words first, then the pages that list them. */
  async function answer(query, id) {
    const words = queryWords(query);
    if (!words.length || !manifest) return { items: [] };
    const scores = await score(words);
    if (id !== latest) return null;
    const ranked = [...scores].sort((a, b) => b[1] - a[1]);
    const picked = ranked.filter(([n]) => n < manifest.entries).slice(0, ENTRIES)
      .concat(ranked.filter(([n]) => n >= manifest.entries).slice(0, LISTINGS));
    const chunks = await Promise.all(picked.map(([n]) => load(`r${Math.floor(n / manifest.chunk)}`)));
    if (id !== latest) return null;

    const typed = query.split(/\s+/).filter(Boolean);
    const terms = Object.fromEntries(typed.map(word => [word, true]));
    const parts = [...new Set(words.map(([word]) => word).concat(typed))].sort((a, b) => b.length - a.length);
    const pattern = new RegExp(parts.map(escapeRegExp).join("|"), "giu");

    const pages = new Map();
    picked.forEach(([number, value], i) => {
      const [location, title, page, text] = chunks[i][number % manifest.chunk];
      const base = location.split("#")[0];
      if (!pages.has(base)) pages.set(base, { title: page, items: [] });
      pages.get(base).items.push({
        location,
        title: mark(title, pattern, false),
        text: text ? `<p>${mark(text, pattern, true)}</p>` : "",
        score: (number < manifest.entries ? 1 : 0) + value / (1 + value),
        terms
      });
    });
    const items = [...pages].map(([base, { title, items }]) => {
      items.sort((a, b) => b.score - a.score);
      if (!items.some(item => item.location === base))
        items.push({ location: base, title: mark(title, pattern, false), text: "", score: 0, terms: {} });
      return items;
    });
    items.sort((a, b) => b[0].score - a[0].score);
    return { items };
  }

  addEventListener("message", async ({ data: message }) => {
    if (message.type === SETUP) {
      try {
        await setup();
      } catch (err) {
        console.warn("talkbase search: cannot load the index", err);
      }
      postMessage({ type: READY });
    } else if (message.type === QUERY) {
      const id = ++latest;
      let result;
      try {
        result = await answer(message.data, id);
      } catch (err) {
        console.warn(`talkbase search: cannot answer ${message.data}`, err);
        result = { items: [] };
      }
      if (result !== null && id === latest) postMessage({ type: RESULT, data: result });
    }
  });
})();
