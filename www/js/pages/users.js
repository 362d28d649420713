// users.js: the members of the org: list, add, change role, disable,
// remove.  Nobody is offered a role above their own or an action on a
// user ranked above them; users are org-wide, so they change only in
// live mode.  If the API refuses anyway, its message is shown.

import { api, mode, query } from '../api.js';
import { confirmDialog, dataTable, fmtTime, formError, h, modal, notice, pagedTable } from '../dom.js';

export const title = 'Users';

const RANK = { viewer: 1, member: 2, admin: 3, owner: 4 };
const ROLES = ['viewer', 'member', 'admin', 'owner'];

export async function render(main, { me, can }) {
	main.append(h('h1', { text: 'Users' }));
	if (!can('users.read')) {
		main.appendChild(h('p', { class: 'state', text: 'You may not read users (no users.read).' }));
		return;
	}
	const live = mode() === 'live';
	const writable = can('users.write') && live;
	const mine = RANK[me.role] || 0;
	const grantable = ROLES.filter((r) => RANK[r] <= mine);
	if (!live) {
		main.appendChild(h('p', { class: 'notice warn', role: 'note', text: 'Users belong to the whole organization, not to a mode: this list is the same in both modes; switch to live mode to add or change them.' }));
	}
	const mayManage = (u) => writable && RANK[u.role] <= mine;

	async function change(u, patch, what) {
		try {
			await api('PATCH', '/v1/users/' + u.id, patch);
			notice(u.email + ': ' + what + '.', 'info', 4000);
		} catch (e) {
			if (e.status < 500 && e.status !== 429) {
				notice('Could not change ' + u.email + ': ' + e.describe(), 'error');
			}
		}
		load(false);
	}

	const t = dataTable({
		caption: 'Members of the organization',
		empty: 'No users.',
		columns: [
			{ label: 'Email', cell: (u) => h('span', { text: u.email }, u.id === me.user_id ? h('span', { class: 'muted', text: ' (you)' }) : null) },
			{ label: 'Role', cell: (u) => mayManage(u) && u.id !== me.user_id
				? h('select', { 'aria-label': 'Role of ' + u.email, class: 'role', onchange: (ev) => change(u, { role: ev.target.value }, 'role changed to ' + ev.target.value) },
					grantable.map((r) => h('option', { value: r, text: r, selected: r === u.role })))
				: u.role },
			{ label: 'State', cell: (u) => h('span', { class: 'badge ' + (u.disabled ? 'disabled' : 'active'), text: u.disabled ? 'disabled' : 'active' }) },
			{ label: 'Added', class: 'hide-narrow', cell: (u) => fmtTime(u.created_at) },
			{ label: 'Actions', cell: (u) => mayManage(u) && u.id !== me.user_id ? h('div', { class: 'actions' },
				h('button', { type: 'button', class: 'toggle', onclick: () => change(u, { disabled: !u.disabled }, u.disabled ? 'enabled' : 'disabled') }, u.disabled ? 'Enable' : 'Disable'),
				h('button', { type: 'button', class: 'remove danger', onclick: () => remove(u) }, 'Remove'))
				: h('span', { class: 'muted', text: '—' }) },
		],
		onRow: (tr, u) => {
			tr.dataset.userId = u.id;
		},
	});
	const { more, load } = pagedTable(t, (cursor) =>
		// Users are org-wide: always read as live, whatever the switch.
		api('GET', '/v1/users' + query({ limit: 50, cursor }), undefined, { mode: 'live' }));

	async function remove(u) {
		if (!await confirmDialog('Remove ' + u.email + '?', 'The user can no longer sign in, and the API keys they made stop working.', 'Remove user')) {
			return;
		}
		try {
			await api('DELETE', '/v1/users/' + u.id);
			notice(u.email + ' removed.', 'info', 4000);
		} catch (e) {
			if (e.status < 500 && e.status !== 429) {
				notice('Could not remove ' + u.email + ': ' + e.describe(), 'error');
			}
		}
		load(false);
	}

	async function add() {
		const ok = await modal('Add a user', (close) => {
			const form = h('form', { class: 'stack', id: 'user-add-form' },
				h('label', {}, 'Email', h('input', { name: 'email', type: 'email', required: true })),
				h('label', {}, 'Initial password (8 to 72 bytes)', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true })),
				h('label', {}, 'Role', h('select', { name: 'role' }, grantable.map((r) => h('option', { value: r, text: r, selected: r === 'member' })))),
				h('div', { class: 'actions' },
					h('button', { type: 'submit', class: 'primary' }, 'Add user'),
					h('button', { type: 'button', onclick: () => close(false) }, 'Cancel')));
			form.addEventListener('submit', async (ev) => {
				ev.preventDefault();
				try {
					await api('POST', '/v1/users', { email: form.email.value.trim(), password: form.password.value, role: form.role.value });
					close(true);
				} catch (e) {
					formError(form, e);
				}
			});
			return form;
		});
		if (ok) {
			load(false);
		}
	}

	if (writable) {
		main.appendChild(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'user-add', onclick: add }, 'Add user')));
	}
	main.append(t.el, more);
	await load(false);
}
