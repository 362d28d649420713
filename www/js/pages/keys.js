// keys.js: the API keys of the current mode.  Create (permissions from
// the catalog, expiry) ending in a show-once panel, roll with a grace
// period (the new secret shown once), revoke with confirmation, rename
// and edit permissions.  Actions the caller may not take are not
// offered; if the API refuses anyway, its 403 is shown.

import { api, mode, query } from '../api.js';
import { confirmDialog, dataTable, fmtTime, formError, h, modal, notice, pagedTable, showOnce } from '../dom.js';

export const title = 'API keys';

const SOON_MS = 7 * 24 * 3600 * 1000;
const EXPIRIES = [['', 'Never'], ['86400', '1 day'], ['604800', '7 days'], ['2592000', '30 days'], ['7776000', '90 days']];
const GRACES = [['0', 'No grace: the old secret stops now'], ['3600', '1 hour'], ['86400', '24 hours'], ['604800', '7 days']];

export function status(k, now = Date.now()) {
	if (k.revoked_at) {
		return 'revoked';
	}
	if (k.expires_at) {
		const t = Date.parse(k.expires_at);
		if (t <= now) {
			return 'expired';
		}
		if (t - now < SOON_MS) {
			return 'expiring';
		}
	}
	return 'active';
}

const LABEL = { active: 'active', expiring: 'expiring soon', expired: 'expired', revoked: 'revoked' };

function within(perms, mine) {
	return perms.every((p) => mine.some((m) => m === '*' || m === p ||
		(m.endsWith('.*') && p.startsWith(m.slice(0, -1)))));
}

export async function render(main, { me, can }) {
	const writable = can('keys.write');
	const top = h('div', { id: 'keys-top' });
	let catalog = null;

	// Whether the caller dominates a key: its creator, or an admin, or
	// the key holds nothing the caller lacks.
	const mayChange = (k) => writable && !k.revoked_at && (me.role === 'owner' || me.role === 'admin' ||
		(k.created_by && k.created_by.user_id === me.user_id) || within(k.permissions, me.permissions));

	const table = dataTable({
		caption: 'API keys in ' + mode() + ' mode',
		empty: 'No API keys in ' + mode() + ' mode yet.',
		columns: [
			{ label: 'Name', cell: (k) => h('span', { class: 'key-name', text: k.name }) },
			{ label: 'Key', cell: (k) => h('code', { text: k.prefix + '…' + k.last4 }) },
			{ label: 'Mode', class: 'hide-narrow', cell: (k) => k.mode },
			{ label: 'Permissions', cell: (k) => h('span', { class: 'perm-list' },
				k.permissions.length ? k.permissions.map((p) => h('span', { class: 'badge', text: p })) : h('span', { class: 'muted', text: 'none' })) },
			{ label: 'Created', class: 'hide-narrow', cell: (k) => fmtTime(k.created_at) },
			{ label: 'Last used', cell: (k) => k.last_used_at ? fmtTime(k.last_used_at) : h('span', { class: 'muted', text: 'never' }) },
			{ label: 'Expires', class: 'hide-narrow', cell: (k) => k.expires_at ? fmtTime(k.expires_at) : 'never' },
			{ label: 'Limit', class: 'hide-narrow', cell: (k) => k.effective_rate_limit_per_min + '/min' },
			{ label: 'Status', cell: (k) => { const s = status(k); return h('span', { class: 'badge ' + s, text: LABEL[s] }); } },
			{ label: 'Actions', cell: (k) => mayChange(k) ? h('div', { class: 'actions' },
				h('button', { type: 'button', class: 'edit', 'aria-label': 'Edit ' + k.name, onclick: () => edit(k) }, 'Edit'),
				h('button', { type: 'button', class: 'roll', 'aria-label': 'Roll ' + k.name, onclick: () => roll(k) }, 'Roll'),
				h('button', { type: 'button', class: 'revoke danger', 'aria-label': 'Revoke ' + k.name, onclick: () => revoke(k) }, 'Revoke'))
				: h('span', { class: 'muted', text: '—' }) },
		],
		onRow: (tr, k) => {
			tr.dataset.keyId = k.id;
			tr.dataset.status = status(k);
		},
	});
	const { more, load } = pagedTable(table, (cursor) =>
		api('GET', '/v1/api-keys' + query({ limit: 50, cursor })), { id: 'keys-more' });

	async function permissionPicker(selected) {
		if (!catalog) {
			catalog = (await api('GET', '/v1/permissions')).data;
		}
		const fs = h('fieldset', { class: 'perms' }, h('legend', { text: 'Permissions' }));
		for (const p of catalog) {
			const held = within([p.name], me.permissions);
			fs.appendChild(h('label', { class: 'inline', title: held ? p.description : 'You do not hold this permission, so you cannot grant it' },
				h('input', { type: 'checkbox', name: 'perm', value: p.name, checked: selected.includes(p.name), disabled: !held }),
				h('span', { text: p.name })));
		}
		return fs;
	}

	function picked(form) {
		return [...form.querySelectorAll('input[name=perm]:checked')].map((i) => i.value);
	}

	function reveal(titleText, secret) {
		const old = document.getElementById('show-once');
		if (old) {
			old.remove();
		}
		const panel = showOnce(titleText, secret, 'latchkey keeps only a hash of the key; if you lose it, roll the key.');
		top.appendChild(panel);
		panel.querySelector('button').focus();
	}

	async function create() {
		let perms;
		try {
			perms = await permissionPicker([]);
		} catch (e) {
			notice('Could not load the permission catalog: ' + e.describe(), 'error');
			return;
		}
		const secret = await modal('Create an API key (' + mode() + ')', (close) => {
			const form = h('form', { class: 'stack', id: 'key-create-form' },
				h('label', {}, 'Name', h('input', { name: 'name', id: 'key-name', required: true, maxlength: 100 })),
				perms,
				h('label', {}, 'Expires', h('select', { name: 'expires_in', id: 'key-expiry' },
					EXPIRIES.map(([v, l]) => h('option', { value: v, text: l })))),
				h('div', { class: 'actions' },
					h('button', { type: 'submit', class: 'primary', id: 'key-create-submit' }, 'Create key'),
					h('button', { type: 'button', onclick: () => close(null) }, 'Cancel')));
			form.addEventListener('submit', async (ev) => {
				ev.preventDefault();
				const body = { name: form.name.value.trim(), permissions: picked(form) };
				if (form.expires_in.value) {
					body.expires_in = parseInt(form.expires_in.value, 10);
				}
				try {
					const k = await api('POST', '/v1/api-keys', body);
					close(k);
				} catch (e) {
					formError(form, e);
				}
			});
			return form;
		});
		if (secret) {
			reveal('New key "' + secret.name + '"', secret.key);
			load();
		}
	}

	async function edit(k) {
		let perms;
		try {
			perms = await permissionPicker(k.permissions);
		} catch (e) {
			notice('Could not load the permission catalog: ' + e.describe(), 'error');
			return;
		}
		const done = await modal('Edit key "' + k.name + '"', (close) => {
			const form = h('form', { class: 'stack', id: 'key-edit-form' },
				h('label', {}, 'Name', h('input', { name: 'name', value: k.name, required: true, maxlength: 100 })),
				h('label', {}, 'Description', h('textarea', { name: 'detail', maxlength: 1000, text: k.detail || '' })),
				perms,
				h('div', { class: 'actions' },
					h('button', { type: 'submit', class: 'primary' }, 'Save'),
					h('button', { type: 'button', onclick: () => close(false) }, 'Cancel')));
			form.addEventListener('submit', async (ev) => {
				ev.preventDefault();
				try {
					await api('PATCH', '/v1/api-keys/' + k.id, {
						name: form.name.value.trim(), detail: form.detail.value, permissions: picked(form),
					});
					close(true);
				} catch (e) {
					formError(form, e);
				}
			});
			return form;
		});
		if (done) {
			notice('Key "' + k.name + '" saved.', 'info', 4000);
			load();
		}
	}

	async function roll(k) {
		const r = await modal('Roll key "' + k.name + '"', (close) => {
			const form = h('form', { class: 'stack', id: 'key-roll-form' },
				h('p', { text: 'Rolling gives the key a new secret. How long may the old secret keep working?' }),
				h('label', {}, 'Grace period', h('select', { name: 'grace_seconds', id: 'key-grace' },
					GRACES.map(([v, l]) => h('option', { value: v, text: l })))),
				h('div', { class: 'actions' },
					h('button', { type: 'submit', class: 'primary', id: 'key-roll-submit' }, 'Roll key'),
					h('button', { type: 'button', onclick: () => close(null) }, 'Cancel')));
			form.addEventListener('submit', async (ev) => {
				ev.preventDefault();
				try {
					close(await api('POST', '/v1/api-keys/' + k.id + '/roll', { grace_seconds: parseInt(form.grace_seconds.value, 10) }));
				} catch (e) {
					formError(form, e);
				}
			});
			return form;
		});
		if (r) {
			reveal('New secret of "' + k.name + '"', r.key);
			load();
		}
	}

	async function revoke(k) {
		if (!await confirmDialog('Revoke key "' + k.name + '"?', 'Every request with this key (and its previous secret) will be refused at once. This cannot be undone.', 'Revoke key')) {
			return;
		}
		try {
			await api('DELETE', '/v1/api-keys/' + k.id);
			notice('Key "' + k.name + '" revoked.', 'info', 4000);
		} catch (e) {
			if (e.status < 500 && e.status !== 429) {
				notice('Could not revoke "' + k.name + '": ' + e.describe(), 'error');
			}
		}
		load();
	}

	main.appendChild(h('h1', { text: 'API keys' }));
	main.appendChild(h('p', { class: 'muted', text: 'Keys of ' + mode() + ' mode. A key never exceeds the permissions of the user who made it.' }));
	if (writable) {
		main.appendChild(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'key-create', onclick: create }, 'Create key')));
	} else {
		main.appendChild(h('p', { class: 'muted', text: 'You may read keys but not change them (no keys.write).' }));
	}
	main.appendChild(top);
	main.appendChild(table.el);
	main.appendChild(more);
	await load();
}
