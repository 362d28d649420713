// activity.js: the audit events (logins, user and key changes,
// denials), newest first, with an action filter and cursor pagination.

import { api, mode, query } from '../api.js';
import { dataTable, fmtTime, h, pagedTable } from '../dom.js';

export const title = 'Activity';

export async function render(main, { can }) {
	main.append(h('h1', { text: 'Activity' }));
	if (!can('activity.read')) {
		main.appendChild(h('p', { class: 'state', text: 'You may not read the audit events (no activity.read).' }));
		return;
	}
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
	const { more, load } = pagedTable(t, (cursor) =>
		api('GET', '/v1/activity' + query({ action: action.value.trim(), limit: 50, cursor })));
	const form = h('form', { class: 'filters' }, h('label', {}, 'Action', action), h('button', { type: 'submit' }, 'Apply'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		load(false);
	});
	main.append(form, t.el, more);
	await load(false);
}
