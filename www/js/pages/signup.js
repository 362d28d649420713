// signup.js: a new org and its owner (POST /v1/auth/signup), then a
// session (POST /v1/auth/session).  Sign-up also answers with a login
// token and a first test key: the token is dropped at once (the cookie
// is the dashboard's credential) and the key is shown once.

import { api } from '../api.js';
import { formError, h, showOnce } from '../dom.js';

export const title = 'Sign up';

export function render(main, { go }) {
	const form = h('form', { class: 'stack', id: 'signup-form', novalidate: true },
		h('label', {}, 'Organization name', h('input', { name: 'org_name', id: 'signup-org', required: true, maxlength: 200 })),
		h('label', {}, 'Email', h('input', { name: 'email', id: 'signup-email', type: 'email', autocomplete: 'username', required: true })),
		h('label', {}, 'Password (8 to 72 bytes)', h('input', { name: 'password', id: 'signup-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 })),
		h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'signup-submit' }, 'Create organization')));
	const box = h('div', { class: 'auth-box' }, h('h1', { text: 'Create an organization' }), form,
		h('p', {}, 'Already have an account? ', h('a', { href: '#/signin' }, 'Sign in')));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const btn = form.querySelector('button[type=submit]');
		btn.disabled = true;
		const email = form.email.value.trim();
		const password = form.password.value;
		try {
			const r = await api('POST', '/v1/auth/signup', {
				org_name: form.org_name.value.trim(), email, password,
			}, { quiet401: true });
			await api('POST', '/v1/auth/session', { email, password }, { quiet401: true });
			form.password.value = '';
			form.remove();
			box.appendChild(h('p', { text: 'Your organization ' + r.org.name + ' is ready and you are signed in.' }));
			if (r.api_key && r.api_key.key) {
				box.appendChild(showOnce('Your first test key', r.api_key.key,
					'It is a test key with every permission you hold.'));
			}
			box.appendChild(h('button', { type: 'button', class: 'primary', id: 'signup-continue', onclick: () => go('overview') }, 'Continue to the dashboard'));
		} catch (e) {
			formError(form, e);
		} finally {
			btn.disabled = false;
		}
	});
	main.appendChild(box);
	form.org_name.focus();
}
