// activity.js: the audit events (logins, user and key changes,
// denials), newest first, with an action filter and cursor pagination.

import { api, mode, query } from '../api.js';
import { dataTable, fmtTime, h } from '../dom.js';

export const title = 'Activity';

export async function render(main, { can }) {
	main.append(h('h1', { text: 'Activity' }));
	if (!can('activity.read')) {
		main.appendChild(h('p', { class: 'state', text: 'You may not read the audit events (no activity.read).' }));
		return;
	}
	let cursor = null;
	const action = h('input', { id: 'activity-action', placeholder: 'key.created', size: 16 });
	const t = dataTable({
		caption: 'Audit events in ' + mode() + ' mode, newest first',
		empty: 'No events.',
		columns: [
			{ label: 'Time', cell: (e) => fmtTime(e.created_at) },
			{ label: 'Action', cell: (e) => h('code', { text: e.action }) },
			{ label: 'Actor', cell: (e) => e.actor.kind + (e.actor.id ? ' ' + e.actor.id.slice(0, 8) : '') },
			{ label: 'Target', cell: (e) => e.target.type ? e.target.type + ' ' + (e.target.id || '').slice(0, 8) : '' },
			{ label: 'Detail', class: 'hide-narrow', cell: (e) => h('code', { text: Object.keys(e.detail || {}).length ? JSON.stringify(e.detail) : '' }) },
			{ label: 'Client', class: 'hide-narrow', cell: (e) => e.client_ip || '' },
		],
	});
	const more = h('button', { type: 'button', hidden: true, onclick: () => load(true) }, 'Load more');
	async function load(append) {
		if (!append) {
			cursor = null;
			t.loading();
		}
		try {
			const r = await api('GET', '/v1/activity' + query({ action: action.value.trim(), limit: 50, cursor }));
			if (append) {
				t.append(r.data);
			} else {
				t.rows(r.data);
			}
			cursor = r.next_cursor;
			more.hidden = !r.has_more;
		} catch (e) {
			t.error(e);
		}
	}
	const form = h('form', { class: 'filters' }, h('label', {}, 'Action', action), h('button', { type: 'submit' }, 'Apply'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		load(false);
	});
	main.append(form, t.el, more);
	await load(false);
}
