/*
 * probe.js - measures a page of the book as Chromium lays it out, for
 * tests/render.py, which puts it into a copy of each page and reads the
 * JSON it leaves in <pre id="render-probe"> from the dumped DOM.
 *
 * Chinese: every CJK character of the page's text is drawn on a canvas
 * three times, with the style of the element holding it: with the page's
 * own font stack; with the reference font (render-reference.ttf, the
 * Chinese font as Debian installs it, next to the page); and with the
 * page's stack minus the book's Chinese font (the control). The page's
 * drawing must be the reference's; the control's must not be, or the
 * machine found Chinese glyphs by itself and proves nothing.
 *
 * Layout: every line of code or output must fit inside its block, the
 * page must not scroll sideways, and each figure's natural size and shown
 * size are reported.
 */
(function () {
	"use strict";

	var CJK = /[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/;
	var BOOK_FONT = /"?vmmlab CJK"?\s*,?\s*/;

	function signature(font, ch) {
		var c = document.createElement("canvas");
		c.width = 64;
		c.height = 64;
		var x = c.getContext("2d");
		x.font = font;
		x.fillStyle = "#000";
		x.textBaseline = "top";
		x.fillText(ch, 4, 4);
		var d = x.getImageData(0, 0, 64, 64).data;
		var h = 0, n = 0;
		for (var i = 3; i < d.length; i += 4) {
			h = (Math.imul(h, 31) + d[i]) >>> 0;
			if (d[i])
				n++;
		}
		return h + "/" + n;
	}

	function chinese() {
		var seen = {}, todo = [];
		var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		while (walk.nextNode()) {
			var node = walk.currentNode;
			var el = node.parentElement;
			if (!el || el.closest("#render-probe"))
				continue;
			for (var i = 0; i < node.data.length; i++) {
				var ch = node.data[i];
				if (!CJK.test(ch))
					continue;
				var cs = getComputedStyle(el);
				var key = ch + "|" + cs.fontStyle + "|" + cs.fontWeight + "|" + cs.fontFamily;
				if (!seen[key]) {
					seen[key] = true;
					todo.push([ch, cs.fontStyle, cs.fontWeight, cs.fontFamily]);
				}
			}
		}
		var loads = todo.map(function (t) {
			return document.fonts.load(t[1] + " " + t[2] + " 40px " + t[3], t[0]);
		});
		return Promise.all(loads).then(function () {
			return todo.map(function (t) {
				var lead = t[1] + " " + t[2] + " 40px ";
				var control = t[3].replace(BOOK_FONT, "") || "serif";
				return {
					ch: t[0], family: t[3],
					page: signature(lead + t[3], t[0]),
					reference: signature(lead + '"render reference"', t[0]),
					control: signature(lead + control, t[0]),
				};
			});
		});
	}

	function layout() {
		var out = { overflow: [], wrapped: 0, lines: 0, figures: [] };
		var pres = document.querySelectorAll("pre");
		for (var i = 0; i < pres.length; i++) {
			var pre = pres[i];
			var box = pre.getBoundingClientRect();
			var right = box.right - parseFloat(getComputedStyle(pre).paddingRight) + 1;
			var lines = pre.querySelectorAll("code > span");
			if (pre.scrollWidth > pre.clientWidth + 1)
				out.overflow.push({ why: "the block scrolls", text: pre.textContent.slice(0, 80) });
			var left = box.left + parseFloat(getComputedStyle(pre).paddingLeft) +
				parseFloat(getComputedStyle(pre).borderLeftWidth);
			for (var k = 0; k < lines.length; k++) {
				var r = lines[k].getBoundingClientRect();
				var first = document.createRange();
				var text = lines[k].firstChild;
				while (text && text.nodeType !== Node.TEXT_NODE)
					text = text.firstChild;
				out.lines++;
				if (text && text.data.length > 0) {
					first.setStart(text, 0);
					first.setEnd(text, 1);
					var at = first.getClientRects()[0];
					if (at && Math.abs(at.left - left) > 1)
						out.overflow.push({ why: "the line starts " +
							Math.round(at.left - left) + "px right of its block",
							text: lines[k].textContent });
				}
				if (r.right > right)
					out.overflow.push({ why: "the line runs past the block", text: lines[k].textContent });
				if (r.height > 1.6 * parseFloat(getComputedStyle(lines[k]).lineHeight))
					out.wrapped++;
			}
		}
		var imgs = document.querySelectorAll("img");
		for (var j = 0; j < imgs.length; j++) {
			out.figures.push({ src: imgs[j].getAttribute("src"),
					   natural: imgs[j].naturalWidth,
					   shown: imgs[j].getBoundingClientRect().width });
		}
		out.pageWidth = document.documentElement.scrollWidth;
		out.viewWidth = window.innerWidth;
		out.widest = "";
		if (out.pageWidth > out.viewWidth) {
			/* the innermost element that runs past the window */
			var all = document.body.querySelectorAll("*"), best = null;
			for (var m = 0; m < all.length; m++) {
				if (all[m].getBoundingClientRect().right > out.viewWidth + 1)
					best = all[m];
			}
			if (best)
				out.widest = best.tagName.toLowerCase() + ": " +
					best.textContent.slice(0, 60);
		}
		return out;
	}

	function report(result) {
		var pre = document.createElement("pre");
		pre.id = "render-probe";
		pre.textContent = JSON.stringify(result);
		document.body.appendChild(pre);
	}

	window.addEventListener("load", function () {
		var ref = new FontFace("render reference", "url(render-reference.ttf)");
		document.fonts.add(ref);
		Promise.all([ref.load(), document.fonts.ready]).then(function () {
			var lay = layout();
			return chinese().then(function (chars) {
				report({ layout: lay, chars: chars });
			});
		}).catch(function (e) {
			report({ error: String(e) });
		});
	});
})();
