// requests.js: the request history of the current mode.  Filters
// (status class, method, path prefix, key, time range), pagination by
// cursor, a detail panel with the recorded (redacted) bodies, and a live
// mode that polls for new rows.

import { api, mode, query } from '../api.js';
import { clear, dataTable, fmtDuration, fmtTime, h } from '../dom.js';

export const title = 'Request history';

const POLL_MS = 3000;
const PAGE = 25;
// A page of the API examines a bounded window of the history (10 000
// rows) and may end short of its limit, even empty, with has_more: a
// page here asks for up to this many windows before it shows what it
// found, and says when the search stopped short.
const WINDOWS = 5;

function pretty(body) {
	if (body === null || body === undefined || body === '') {
		return '(empty)';
	}
	try {
		return JSON.stringify(JSON.parse(body), null, 2);
	} catch (e) {
		return String(body);
	}
}

function statusClass(s) {
	return 's' + String(s).charAt(0);
}

function isoOf(local) {
	if (!local) {
		return '';
	}
	const d = new Date(local);
	return isNaN(d) ? '' : d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function render(main) {
	let cursors = [null];	// cursors[i]: the cursor of page i
	let pageNo = 0;
	let newest = null;
	let timer = null;
	const seen = new Set();
	const detail = h('section', { class: 'detail', id: 'request-detail', hidden: true, 'aria-live': 'polite', tabindex: '-1' });

	const form = h('form', { class: 'filters', id: 'request-filters', 'aria-label': 'Filters' },
		h('label', {}, 'Status', h('select', { name: 'status', id: 'f-status' },
			[['', 'any'], ['2xx', '2xx success'], ['3xx', '3xx'], ['4xx', '4xx client error'], ['5xx', '5xx server error']]
				.map(([v, l]) => h('option', { value: v, text: l })))),
		h('label', {}, 'Method', h('select', { name: 'method', id: 'f-method' },
			['', 'GET', 'POST', 'PATCH', 'PUT', 'DELETE'].map((m) => h('option', { value: m, text: m || 'any' })))),
		h('label', {}, 'Path prefix', h('input', { name: 'path', id: 'f-path', placeholder: '/v1/api-keys', size: 16 })),
		h('label', {}, 'Key', h('select', { name: 'api_key_id', id: 'f-key' }, h('option', { value: '', text: 'any' }))),
		h('label', {}, 'From', h('input', { name: 'since', id: 'f-since', type: 'datetime-local', step: 1 })),
		h('label', {}, 'To', h('input', { name: 'until', id: 'f-until', type: 'datetime-local', step: 1 })),
		h('button', { type: 'submit', class: 'primary', id: 'f-apply' }, 'Apply'),
		h('button', { type: 'reset', id: 'f-reset' }, 'Clear'));
	const live = h('input', { type: 'checkbox', id: 'live-toggle' });

	function filters() {
		return {
			status: form.status.value, method: form.method.value,
			path: form.path.value.trim(), api_key_id: form.api_key_id.value,
			since: isoOf(form.since.value), until: isoOf(form.until.value),
		};
	}

	const table = dataTable({
		caption: 'Requests in ' + mode() + ' mode, newest first',
		empty: 'No requests match.',
		columns: [
			{ label: 'Time', cell: (r) => fmtTime(r.created_at) },
			{ label: 'Status', cell: (r) => h('span', { class: 'badge ' + statusClass(r.status), text: r.status }) },
			{ label: 'Method', cell: (r) => r.method },
			{ label: 'Path', cell: (r) => h('code', { text: r.path + (r.query ? '?' + r.query : '') }) },
			{ label: 'Credential', class: 'hide-narrow', cell: (r) => r.credential.kind + (r.credential.id ? ' ' + r.credential.id.slice(0, 8) : '') },
			{ label: 'Duration', class: 'num', cell: (r) => fmtDuration(r.duration_us) },
			{ label: '', cell: (r) => h('button', { type: 'button', class: 'details', 'aria-label': 'Details of ' + r.method + ' ' + r.path, onclick: () => show(r) }, 'Details') },
		],
		onRow: (tr, r) => {
			tr.dataset.requestId = r.id;
			tr.dataset.path = r.path;
			seen.add(r.id);
		},
	});
	const prev = h('button', { type: 'button', id: 'page-newer', onclick: () => go(pageNo - 1) }, '← Newer');
	const next = h('button', { type: 'button', id: 'page-older', onclick: () => go(pageNo + 1) }, 'Older →');
	const pos = h('span', { class: 'muted' });
	const note = h('p', { class: 'muted', id: 'page-note', hidden: true });

	async function go(n) {
		pageNo = Math.max(0, n);
		table.loading();
		note.hidden = true;
		seen.clear();
		try {
			let rows = [];
			let cursor = cursors[pageNo];
			let r;
			for (let i = 0; i < WINDOWS; i++) {
				r = await api('GET', '/v1/requests' + query({ ...filters(), limit: PAGE - rows.length, cursor }));
				rows = rows.concat(r.data);
				cursor = r.next_cursor;
				if (!r.has_more || rows.length >= PAGE) {
					break;
				}
			}
			table.rows(rows);
			if (pageNo === 0) {
				newest = rows.length ? rows[0].created_at : newest;
			}
			cursors[pageNo + 1] = cursor;
			next.disabled = !r.has_more;
			prev.disabled = pageNo === 0;
			pos.textContent = 'Page ' + (pageNo + 1);
			if (r.has_more && rows.length < PAGE) {
				note.textContent = 'Only part of the history was searched for this page: ' +
					(rows.length ? 'these are the matches found so far.' : 'no match yet.') +
					' Older → searches further back.';
				note.hidden = false;
			}
		} catch (e) {
			table.error(e);
		}
	}

	async function show(r) {
		for (const tr of table.table.querySelectorAll('tr.selected')) {
			tr.classList.remove('selected');
		}
		const tr = table.table.querySelector('tr[data-request-id="' + CSS.escape(r.id) + '"]');
		if (tr) {
			tr.classList.add('selected');
		}
		detail.hidden = false;
		clear(detail).appendChild(h('p', { class: 'state loading', text: 'Loading…' }));
		try {
			const d = await api('GET', '/v1/requests/' + r.id);
			const row = (k, v) => [h('dt', { text: k }), h('dd', {}, v === null || v === undefined || v === '' ? h('span', { class: 'muted', text: '—' }) : String(v))];
			clear(detail).append(
				h('h2', { text: d.method + ' ' + d.path + ' → ' + d.status }),
				h('dl', {},
					row('Time', fmtTime(d.created_at)), row('Request id', d.request_id),
					row('Query', d.query), row('Status', d.status), row('Error code', d.error_code),
					row('Duration', fmtDuration(d.duration_us)),
					row('Credential', d.credential.kind + (d.credential.id ? ' ' + d.credential.id : '')),
					row('User', d.user_id), row('Client address', d.client_ip), row('User agent', d.user_agent)),
				h('h3', { text: 'Headers' }),
				h('p', { class: 'muted', text: 'latchkey records no request headers: credentials travel in them. What it keeps of the request is above; secrets in the query and bodies are redacted.' }),
				h('h3', { text: 'Request body' }), h('pre', { class: 'req-body', text: pretty(d.request_body) }),
				h('h3', { text: 'Response body' }), h('pre', { class: 'resp-body', text: pretty(d.response_body) }),
				h('button', { type: 'button', onclick: () => { detail.hidden = true; } }, 'Close details'));
			detail.focus({ preventScroll: true });
		} catch (e) {
			clear(detail).appendChild(h('p', { class: 'state error', text: 'Could not load the request: ' + e.describe() }));
		}
	}

	async function poll() {
		if (pageNo !== 0) {
			return;
		}
		try {
			const f = filters();
			const r = await api('GET', '/v1/requests' + query({ ...f, since: newest || f.since, limit: 100 }));
			const fresh = r.data.filter((x) => !seen.has(x.id));
			if (fresh.length) {
				newest = fresh[0].created_at;
				table.append(fresh.reverse(), true);
			}
		} catch (e) {
			// api() reported it; a 401 left the page.
			stopLive();
		}
	}

	function stopLive() {
		clearInterval(timer);
		timer = null;
		live.checked = false;
	}

	live.addEventListener('change', () => {
		if (live.checked) {
			timer = setInterval(poll, POLL_MS);
			poll();
		} else {
			stopLive();
		}
	});
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		cursors = [null];
		newest = null;
		go(0);
	});
	form.addEventListener('reset', () => setTimeout(() => form.requestSubmit(), 0));

	main.append(h('h1', { text: 'Request history' }),
		h('p', { class: 'muted', text: 'Every request latchkey answered in ' + mode() + ' mode, with redacted bodies.' }),
		form,
		h('label', { class: 'inline' }, live, 'Live: show new requests as they arrive (every 3 s)'),
		table.el, note, h('div', { class: 'pager' }, prev, pos, next), detail);
	try {
		const keys = await api('GET', '/v1/api-keys?limit=100');
		for (const k of keys.data) {
			form.api_key_id.appendChild(h('option', { value: k.id, text: k.name + ' (' + k.prefix + '…' + k.last4 + ')' }));
		}
	} catch (e) {
		// No keys.read: the key filter stays "any".
	}
	await go(0);
	return { leave: stopLive };
}
