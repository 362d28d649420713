// main.js: the dashboard's shell.  Routes #/<page> to one ES module per
// page (js/pages/<page>.js), keeps the header (who, mode switch, sign
// out) and the navigation in step.

import { api, mode, setMode, onModeChange, whenSignedOut } from './api.js';
import { clear, clearNotices, h, notice } from './dom.js';

const PAGES = ['overview', 'keys', 'requests', 'users', 'activity', 'usage', 'directs', 'permissions'];
const PUBLIC = ['signin', 'signup'];

const main = document.getElementById('main');
let me = null;
let page = null;	// the current page module's cleanup, if any
let renderId = 0;
let pending = null;	// a notice for the next page, which clears the old


// Whether the caller's effective permissions include perm ("*" and
// "keys.*" patterns included).
export function can(perm) {
	if (!me) {
		return false;
	}
	return me.permissions.some((p) => p === '*' || p === perm ||
		(p.endsWith('.*') && perm.startsWith(p.slice(0, -1))));
}

function showChrome(on) {
	for (const id of ['nav', 'who', 'mode-box']) {
		document.getElementById(id).hidden = !on;
	}
	paintMode();
}

function paintMode() {
	const test = mode() === 'test';
	document.body.classList.toggle('mode-test', test);
	document.getElementById('mode-switch').checked = test;
	document.getElementById('mode-label').textContent = test ? 'Test mode' : 'Live mode';
	document.getElementById('test-banner').hidden = !test || document.getElementById('nav').hidden;
}

function route() {
	const m = /^#\/([a-z]+)/.exec(location.hash);
	return m ? m[1] : '';
}

async function render() {
	const id = ++renderId;
	let name = route();
	if (page && page.leave) {
		page.leave();
	}
	page = null;
	clearNotices();
	if (pending) {
		notice(pending, 'warn');
		pending = null;
	}
	clear(main).appendChild(h('p', { class: 'state loading', text: 'Loading…' }));
	if (!PUBLIC.includes(name)) {
		try {
			me = await api('GET', '/v1/me', undefined, { quiet401: true });
		} catch (e) {
			me = null;
			if (e.status !== 401) {
				clear(main).appendChild(h('p', { class: 'state error', role: 'alert', text: 'Could not load the dashboard: ' + e.describe() }));
				return;
			}
			name = 'signin';
			if (e.code !== 'missing_credentials') {
				notice('Your session has ended (' + e.code + '): sign in again.', 'warn');
			}
		}
	}
	if (id !== renderId) {
		return;
	}
	if (!PUBLIC.includes(name) && !PAGES.includes(name)) {
		name = 'overview';
	}
	showChrome(!PUBLIC.includes(name));
	if (me) {
		document.getElementById('who-email').textContent = me.email || '';
	}
	for (const a of document.querySelectorAll('#nav a')) {
		if (a.getAttribute('href') === '#/' + name) {
			a.setAttribute('aria-current', 'page');
		} else {
			a.removeAttribute('aria-current');
		}
	}
	const mod = await import('./pages/' + name + '.js');
	if (id !== renderId) {
		return;
	}
	clear(main);
	document.title = mod.title + ' — latchkey';
	page = (await mod.render(main, { me, can, go })) || null;
	main.focus({ preventScroll: true });
}

export function go(name) {
	if (location.hash === '#/' + name) {
		render();
	} else {
		location.hash = '#/' + name;
	}
}

whenSignedOut((err) => {
	me = null;
	if (!PUBLIC.includes(route())) {
		pending = 'Your session has ended (' + err.code + '): sign in again.';
		go('signin');
	}
});

document.getElementById('mode-switch').addEventListener('change', (ev) => {
	setMode(ev.target.checked ? 'test' : 'live');
});
onModeChange(() => {
	paintMode();
	render();
});
document.getElementById('sign-out').addEventListener('click', async () => {
	try {
		await api('DELETE', '/v1/auth/session', undefined, { quiet401: true });
	} catch (e) {
		if (e.status !== 401) {
			notice('Sign-out failed: ' + e.describe(), 'error');
			return;
		}
	}
	me = null;
	go('signin');
});
window.addEventListener('hashchange', render);
render();
