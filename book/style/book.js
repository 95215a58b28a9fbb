/*
 * book.js - the search box of the book's HTML pages, and the contents
 * folded on a narrow screen.
 *
 * search.js (written by the build) fills BOOK_SEARCH with one entry per
 * section of every page, [href, heading, page title, text], and one per
 * glossary term. A query matches the entries that hold every one of its
 * words (English or Chinese, case ignored); those whose heading holds
 * them come first. Enter opens the first match. Everything runs in the
 * page, so the search works from a folder of files with no server.
 */
(function () {
	"use strict";

	/* On a narrow screen the contents come before the page: fold this
	 * page's sections, so that the text is not pushed far down. */
	var here = document.querySelector("details.toc-here");
	if (here && window.matchMedia("(max-width: 1099px)").matches)
		here.open = false;
})();

(function () {
	"use strict";

	var MAX = 25;
	var box = document.getElementById("search-box");
	var list = document.getElementById("search-results");
	if (!box || !list || typeof BOOK_SEARCH === "undefined")
		return;

	function words(q) {
		return q.toLowerCase().split(/\s+/).filter(function (w) {
			return w.length > 0;
		});
	}

	function score(entry, ws) {
		var head = entry[1].toLowerCase();
		var text = entry[3].toLowerCase();
		var s = 0;
		for (var i = 0; i < ws.length; i++) {
			if (head.indexOf(ws[i]) >= 0)
				s += 10;
			else if (text.indexOf(ws[i]) < 0)
				return 0;
			else
				s += 1;
		}
		return s;
	}

	/* A piece of the text around the first word found, as DOM nodes. */
	function snippet(text, ws) {
		var low = text.toLowerCase();
		var at = -1, len = 0;
		for (var i = 0; i < ws.length && at < 0; i++) {
			at = low.indexOf(ws[i]);
			len = ws[i].length;
		}
		var span = document.createElement("span");
		span.className = "snippet";
		if (at < 0)
			return span;
		var from = Math.max(0, at - 50);
		span.appendChild(document.createTextNode(
			(from > 0 ? "… " : "") + text.slice(from, at)));
		var mark = document.createElement("mark");
		mark.textContent = text.slice(at, at + len);
		span.appendChild(mark);
		span.appendChild(document.createTextNode(
			text.slice(at + len, at + len + 70) + " …"));
		return span;
	}

	function show() {
		var ws = words(box.value);
		list.textContent = "";
		if (ws.length === 0) {
			list.hidden = true;
			return;
		}
		var hits = [];
		for (var i = 0; i < BOOK_SEARCH.length; i++) {
			var s = score(BOOK_SEARCH[i], ws);
			if (s > 0)
				hits.push([s, i]);
		}
		hits.sort(function (a, b) {
			return b[0] - a[0] || a[1] - b[1];
		});
		if (hits.length === 0) {
			var none = document.createElement("li");
			none.textContent = "Nothing found.";
			list.appendChild(none);
		}
		for (var k = 0; k < hits.length && k < MAX; k++) {
			var e = BOOK_SEARCH[hits[k][1]];
			var li = document.createElement("li");
			var a = document.createElement("a");
			a.href = e[0];
			a.textContent = e[1];
			li.appendChild(a);
			var where = document.createElement("span");
			where.className = "where";
			where.textContent = e[2];
			li.appendChild(where);
			li.appendChild(snippet(e[3], ws));
			list.appendChild(li);
		}
		list.hidden = false;
	}

	box.addEventListener("input", show);
	box.addEventListener("keydown", function (ev) {
		if (ev.key === "Enter") {
			var first = list.querySelector("a");
			if (first)
				window.location.href = first.href;
		} else if (ev.key === "Escape") {
			box.value = "";
			show();
		}
	});
})();
