// dom.js: building the page safely.  Every string from the server goes
// in as text (textContent, text nodes), never parsed as HTML: no
// HTML-parsing property or method is used anywhere in the dashboard.

// h('tag', {attrs}, ...children): an element.  Attributes: class, text,
// on<event> (a function), hidden/disabled/checked/... (booleans), others
// set as attributes.  Children: nodes, strings (as text), arrays, null.
export function h(tag, attrs, ...children) {
	const el = tag.startsWith('svg:')
		? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
		: document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false) {
			continue;
		}
		if (k === 'text') {
			el.textContent = String(v);
		} else if (k.startsWith('on') && typeof v === 'function') {
			el.addEventListener(k.slice(2), v);
		} else if (k === 'value') {
			el.value = v;
		} else if (v === true) {
			el.setAttribute(k, '');
		} else {
			el.setAttribute(k, String(v));
		}
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) {
			continue;
		}
		if (Array.isArray(c)) {
			append(el, c);
		} else if (c instanceof Node) {
			el.appendChild(c);
		} else {
			el.appendChild(document.createTextNode(String(c)));
		}
	}
}

export function clear(el) {
	while (el.firstChild) {
		el.removeChild(el.firstChild);
	}
	return el;
}

// A notice above the page: kind "info", "warn" or "error"; it goes away
// after ms milliseconds (0: when dismissed).
export function notice(message, kind = 'info', ms = 0) {
	const box = document.getElementById('notices');
	const n = h('div', { class: 'notice ' + kind, role: kind === 'error' ? 'alert' : 'status' },
		h('span', { text: message }),
		h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => n.remove() }, '×'));
	box.appendChild(n);
	if (ms > 0) {
		setTimeout(() => n.remove(), ms);
	}
	return n;
}

export function clearNotices() {
	clear(document.getElementById('notices'));
}

// "2026-12-06T04:44:47Z" -> local "2026-12-06 05:44:47"; "" for null.
export function fmtTime(iso) {
	if (!iso) {
		return '';
	}
	const d = new Date(iso);
	if (isNaN(d)) {
		return String(iso);
	}
	const p = (n) => String(n).padStart(2, '0');
	return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
		p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}

export function fmtDuration(us) {
	if (us === null || us === undefined) {
		return '';
	}
	return us >= 1000 ? (us / 1000).toFixed(1) + ' ms' : us + ' µs';
}

// A table with its loading, empty and error states.  columns: [{label,
// cell(row) -> node|string, class}].  Returns {el, loading(), error(e),
// rows(list), append(list)}.
export function dataTable({ caption, columns, empty, onRow }) {
	const tbody = h('tbody');
	const table = h('table', {},
		h('caption', { text: caption }),
		h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class, text: c.label })))),
		tbody);
	const state = h('p', { class: 'state', role: 'status' });
	const el = h('div', {}, h('div', { class: 'table-wrap' }, table), state);
	const row = (r) => {
		const tr = h('tr', {}, columns.map((c) => h('td', { class: c.class }, c.cell(r))));
		if (onRow) {
			onRow(tr, r);
		}
		return tr;
	};
	const api = {
		el,
		table,
		loading() {
			clear(tbody);
			state.className = 'state loading';
			state.textContent = 'Loading…';
			state.hidden = false;
		},
		error(e) {
			clear(tbody);
			state.className = 'state error';
			state.textContent = 'Could not load: ' + (e.describe ? e.describe() : e.message);
			state.hidden = false;
		},
		rows(list) {
			clear(tbody);
			api.append(list);
		},
		append(list, atTop = false) {
			for (const r of list) {
				const tr = row(r);
				if (atTop) {
					tbody.insertBefore(tr, tbody.firstChild);
				} else {
					tbody.appendChild(tr);
				}
			}
			const n = tbody.children.length;
			state.hidden = n > 0;
			state.className = 'state empty';
			state.textContent = empty;
		},
	};
	api.loading();
	return api;
}

// A modal dialog built by body(close) -> nodes; resolves when closed.
// A dataTable filled a page at a time: fetchPage(cursor) resolves to a
// list ({data, has_more, next_cursor}).  load() starts over, load(true)
// appends the next page; `more` is the "Load more" button to place.
export function pagedTable(table, fetchPage, moreAttrs = {}) {
	let cursor = null;
	const more = h('button', { ...moreAttrs, type: 'button', hidden: true, onclick: () => load(true) }, 'Load more');
	async function load(append = false) {
		if (!append) {
			cursor = null;
			table.loading();
		}
		try {
			const r = await fetchPage(cursor);
			if (append) {
				table.append(r.data);
			} else {
				table.rows(r.data);
			}
			cursor = r.next_cursor;
			more.hidden = !r.has_more;
		} catch (e) {
			table.error(e);
		}
	}
	return { more, load };
}

export function modal(title, body) {
	return new Promise((resolve) => {
		const id = 'dlg-' + Math.random().toString(36).slice(2);
		const d = h('dialog', { 'aria-labelledby': id });
		const close = (v) => {
			d.close();
			d.remove();
			resolve(v);
		};
		d.appendChild(h('h2', { id, text: title }));
		append(d, [body(close)]);
		d.addEventListener('cancel', (ev) => {
			ev.preventDefault();
			close(undefined);
		});
		document.body.appendChild(d);
		d.showModal();
	});
}

// Asks a yes/no question; resolves true on confirmation.
export function confirmDialog(title, message, yes = 'Confirm') {
	return modal(title, (close) => h('div', {},
		h('p', { text: message }),
		h('div', { class: 'actions' },
			h('button', { type: 'button', class: 'danger', onclick: () => close(true) }, yes),
			h('button', { type: 'button', autofocus: true, onclick: () => close(false) }, 'Cancel'))));
}

// Shows field errors of a 422 next to the inputs of form (by name), and
// the message otherwise.  Returns the node for the general message.
export function formError(form, err) {
	for (const old of form.querySelectorAll('.field-error')) {
		old.remove();
	}
	for (const [name, msgs] of Object.entries(err.fields || {})) {
		const input = form.querySelector('[name="' + CSS.escape(name) + '"]');
		const msg = h('span', { class: 'field-error', text: name + ' ' + msgs.join('; ') });
		if (input && input.closest('label')) {
			input.closest('label').appendChild(msg);
		} else {
			form.appendChild(msg);
		}
	}
	const general = h('p', { class: 'field-error', role: 'alert', text: err.describe ? err.describe() : err.message });
	form.appendChild(general);
	return general;
}

// A bar chart in SVG: items [{label, value, err}], drawn with attributes
// only (no inline style).  Small on purpose: see www/README.md.
export function barChart(title, items, { height = 180 } = {}) {
	const w = Math.max(320, items.length * 28 + 40);
	const max = Math.max(1, ...items.map((i) => i.value));
	const bw = Math.min(40, Math.max(6, Math.floor((w - 40) / Math.max(1, items.length)) - 4));
	const svg = h('svg:svg', { class: 'chart', viewBox: '0 0 ' + w + ' ' + (height + 40), role: 'img', 'aria-label': title });
	svg.appendChild(h('svg:title', { text: title }));
	items.forEach((it, i) => {
		const bh = Math.round((it.value / max) * height);
		const x = 30 + i * (bw + 4);
		const rect = h('svg:rect', { class: 'bar' + (it.err ? ' err' : ''), x, y: height - bh + 10, width: bw, height: bh });
		rect.appendChild(h('svg:title', { text: it.label + ': ' + it.value }));
		svg.appendChild(rect);
		if (items.length <= 16 || i % Math.ceil(items.length / 16) === 0) {
			svg.appendChild(h('svg:text', { x, y: height + 28, text: it.short || it.label }));
		}
	});
	svg.appendChild(h('svg:text', { x: 2, y: 18, text: String(max) }));
	svg.appendChild(h('svg:text', { x: 2, y: height + 10, text: '0' }));
	return svg;
}

// Copies text to the clipboard; says whether it worked.
export async function copyText(text, button) {
	try {
		await navigator.clipboard.writeText(text);
		button.textContent = 'Copied';
	} catch (e) {
		button.textContent = 'Copy failed: select the text and copy it';
	}
}

// The show-once panel of a secret (an API key or a direct hash).
export function showOnce(title, secret, note) {
	const btn = h('button', { type: 'button', class: 'primary', onclick: () => copyText(secret, btn) }, 'Copy');
	return h('section', { class: 'once', 'aria-labelledby': 'once-title', id: 'show-once' },
		h('h2', { id: 'once-title', text: title }),
		h('p', {}, h('strong', { text: 'Copy it now: you will not see this again.' }), ' ',
			note || 'latchkey keeps only a hash of it.'),
		h('code', { class: 'secret', id: 'once-secret', text: secret }),
		h('div', { class: 'actions' }, btn,
			h('button', { type: 'button', onclick: (ev) => ev.target.closest('.once').remove() }, 'Done, hide it')));
}
