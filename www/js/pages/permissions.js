// permissions.js: read-only: the permission catalog, what each role
// grants, and the authorizer's upstream routes when the API lists them.

import { api } from '../api.js';
import { dataTable, h } from '../dom.js';

export const title = 'Permissions and routes';

export async function render(main) {
	const perms = dataTable({ caption: 'Permission catalog', empty: 'No permissions.', columns: [
		{ label: 'Permission', cell: (p) => h('code', { text: p.name }) },
		{ label: 'Description', cell: (p) => p.description || '' },
		{ label: 'Kind', cell: (p) => p.builtin ? 'built in' : 'this deployment\'s' }] });
	const roles = dataTable({ caption: 'Roles', empty: 'No roles.', columns: [
		{ label: 'Role', cell: (r) => r.name },
		{ label: 'Rank', class: 'num', cell: (r) => r.rank },
		{ label: 'Grants', cell: (r) => h('span', { class: 'perm-list' }, r.permissions.map((p) => h('span', { class: 'badge', text: p }))) }] });
	const routes = h('div', { id: 'routes' }, h('p', { class: 'state loading', text: 'Loading…' }));
	main.append(h('h1', { text: 'Permissions and routes' }),
		h('p', { class: 'muted', text: 'Read only. Permissions are added with latchkeyctl permission add.' }),
		perms.el, h('h2', { text: 'Roles' }), roles.el, h('h2', { text: 'Upstream routes' }), routes);
	await Promise.all([
		api('GET', '/v1/permissions').then((r) => perms.rows(r.data), (e) => perms.error(e)),
		api('GET', '/v1/roles').then((r) => roles.rows(r.data), (e) => roles.error(e)),
		routesOrNote(routes),
	]);
}

// Lists the routes when this latchkey has a routes API (its OpenAPI
// document says so, so no request ends in a 404), else says where routes
// come from.
async function routesOrNote(box) {
	try {
		const doc = await api('GET', '/v1/openapi.json');
		if (!doc.paths || !doc.paths['/v1/routes'] || !doc.paths['/v1/routes'].get) {
			box.replaceChildren(h('p', { class: 'state', id: 'routes-note',
				text: 'This latchkey has no routes API yet: upstream routes come from latchkeyctl (route add, route list).' }));
			return;
		}
		// The org's own routes: each only adds a permission on top of
		// the operator's (latchkeyctl), which this API does not list.
		const r = await api('GET', '/v1/routes');
		const t = dataTable({ caption: 'Your org\'s routes', empty: 'None: the operator\'s routes alone decide.', columns: [
			{ label: 'Method', cell: (x) => x.method },
			{ label: 'Path pattern', cell: (x) => h('code', { text: x.pattern }) },
			{ label: 'Also needs', cell: (x) => h('code', { text: x.permission }) }] });
		t.rows(r.data);
		box.replaceChildren(h('p', { class: 'muted', id: 'routes-note',
			text: 'The operator\'s routes (latchkeyctl route add) decide what the upstream admits. Your org\'s own routes (POST /v1/routes) add a permission your callers also need.' }), t.el);
	} catch (e) {
		box.replaceChildren(h('p', { class: 'state error', text: 'Could not load the routes: ' + e.describe() }));
	}
}
