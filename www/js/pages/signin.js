// signin.js: email and password -> a session cookie (POST
// /v1/auth/session).  The page never sees the cookie (HttpOnly).

import { api } from '../api.js';
import { formError, h } from '../dom.js';

export const title = 'Sign in';

export function render(main, { go }) {
	const form = h('form', { class: 'stack', id: 'signin-form', novalidate: true },
		h('label', {}, 'Email', h('input', { name: 'email', id: 'signin-email', type: 'email', autocomplete: 'username', required: true })),
		h('label', {}, 'Password', h('input', { name: 'password', id: 'signin-password', type: 'password', autocomplete: 'current-password', required: true })),
		h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, 'Sign in')));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const btn = form.querySelector('button[type=submit]');
		btn.disabled = true;
		try {
			await api('POST', '/v1/auth/session', {
				email: form.email.value.trim(),
				password: form.password.value,
			}, { quiet401: true });
			form.password.value = '';
			go('overview');
		} catch (e) {
			formError(form, e);
		} finally {
			btn.disabled = false;
		}
	});
	main.appendChild(h('div', { class: 'auth-box' },
		h('h1', { text: 'Sign in to latchkey' }),
		form,
		h('p', {}, 'No account yet? ', h('a', { href: '#/signup' }, 'Create an organization'))));
	form.email.focus();
}
