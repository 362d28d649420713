// directs.js: direct hashes, each for one resource: create (the hash is
// shown once), list, revoke.

import { api, mode, query } from '../api.js';
import { confirmDialog, dataTable, fmtTime, formError, h, notice, pagedTable, showOnce } from '../dom.js';

export const title = 'Directs';

export async function render(main, { can }) {
	main.append(h('h1', { text: 'Directs' }),
		h('p', { class: 'muted', text: 'A direct hash boots short-lived tokens (POST /v1/auth/boot) that reach only the upstream routes of one resource, never this API.' }));
	if (!can('directs.write')) {
		main.appendChild(h('p', { class: 'state', text: 'You may not manage directs (no directs.write).' }));
		return;
	}
	const top = h('div');
	const t = dataTable({
		caption: 'Direct hashes in ' + mode() + ' mode',
		empty: 'No direct hashes yet.',
		columns: [
			{ label: 'Resource type', cell: (d) => d.resource_type },
			{ label: 'Resource id', cell: (d) => h('code', { text: d.resource_id }) },
			{ label: 'Created', cell: (d) => fmtTime(d.created_at) },
			{ label: 'Status', cell: (d) => h('span', { class: 'badge ' + (d.revoked_at ? 'revoked' : 'active'), text: d.revoked_at ? 'revoked' : 'active' }) },
			{ label: 'Actions', cell: (d) => d.revoked_at ? '' : h('button', { type: 'button', class: 'danger', onclick: () => revoke(d) }, 'Revoke') },
		],
	});
	const { more, load } = pagedTable(t, (cursor) =>
		api('GET', '/v1/directs' + query({ limit: 50, cursor })));
	async function revoke(d) {
		if (!await confirmDialog('Revoke this direct hash?', 'Every token it booted stops working within a second.', 'Revoke')) {
			return;
		}
		try {
			await api('DELETE', '/v1/directs/' + d.id);
		} catch (e) {
			if (e.status < 500 && e.status !== 429) {
				notice('Could not revoke: ' + e.describe(), 'error');
			}
		}
		load(false);
	}
	const form = h('form', { class: 'filters', id: 'direct-form' },
		h('label', {}, 'Resource type', h('input', { name: 'resource_type', required: true, maxlength: 64, placeholder: 'call' })),
		h('label', {}, 'Resource id', h('input', { name: 'resource_id', required: true, maxlength: 128 })),
		h('button', { type: 'submit', class: 'primary' }, 'Create direct hash'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			const d = await api('POST', '/v1/directs', { resource_type: form.resource_type.value.trim(), resource_id: form.resource_id.value.trim() });
			top.replaceChildren(showOnce('Direct hash for ' + d.resource_type + ' ' + d.resource_id, d.direct_hash));
			form.reset();
			load(false);
		} catch (e) {
			formError(form, e);
		}
	});
	main.append(form, top, t.el, more);
	await load(false);
}
