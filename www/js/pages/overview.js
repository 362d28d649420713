// overview.js: requests per day and the error share, the current
// rate-limit state, the most used keys.

import { api, mode } from '../api.js';
import { barChart, dataTable, h } from '../dom.js';

export const title = 'Overview';

// Every day of the range, those without requests at 0, so that the
// chart's time axis is even.
function everyDay(usage) {
	const counts = new Map(usage.data.map((d) => [d.day, d.count]));
	const out = [];
	const end = Date.parse(usage.until);
	for (let t = Date.parse(usage.since), i = 0; t <= end && i < 400; t += 86400000, i++) {
		const day = new Date(t).toISOString().slice(0, 10);
		out.push({ label: day, short: day.slice(5), value: counts.get(day) || 0 });
	}
	return out;
}

export async function render(main, { can }) {
	main.append(h('h1', { text: 'Overview' }),
		h('p', { class: 'muted', text: 'The last 30 days in ' + mode() + ' mode.' }));
	if (!can('usage.read')) {
		main.appendChild(h('p', { class: 'state', text: 'You may not read usage (no usage.read).' }));
		return;
	}
	const cards = h('div', { class: 'cards', id: 'overview-cards' }, h('p', { class: 'state loading', text: 'Loading…' }));
	const chart = h('div', { id: 'overview-chart' }, h('p', { class: 'state loading', text: 'Loading…' }));
	const top = dataTable({
		caption: 'Most used credentials',
		empty: 'No requests yet.',
		columns: [
			{ label: 'Key', cell: (r) => r.name },
			{ label: 'Requests', class: 'num', cell: (r) => r.count },
		],
	});
	main.append(cards, h('h2', { text: 'Requests per day' }), chart, h('h2', { text: 'Most used keys' }), top.el);
	let days;
	let statuses;
	try {
		[days, statuses] = await Promise.all([api('GET', '/v1/usage?group_by=day'), api('GET', '/v1/usage?group_by=status')]);
	} catch (e) {
		cards.replaceChildren(h('p', { class: 'state error', text: 'Could not load usage: ' + e.describe() }));
		chart.replaceChildren();
		top.error(e);
		return;
	}
	const total = statuses.data.reduce((a, s) => a + s.count, 0);
	const errors = statuses.data.filter((s) => s.status >= '400').reduce((a, s) => a + s.count, 0);
	const rl = days.rate_limit || {};
	const card = (label, value, sub) => h('div', { class: 'card' }, h('div', { class: 'muted', text: label }), h('div', { class: 'big', text: value }), sub ? h('div', { class: 'muted', text: sub }) : null);
	cards.replaceChildren(
		card('Requests (30 days)', total),
		card('Error share', total ? (100 * errors / total).toFixed(1) + ' %' : '—', errors + ' answered 4xx or 5xx'),
		rl.credential ? card('Your rate limit', rl.credential.remaining + ' / ' + rl.credential.limit, 'left this minute; resets in ' + rl.credential.reset_seconds + ' s') : null,
		rl.org ? card('Org rate limit (' + mode() + ')', rl.org.remaining + ' / ' + rl.org.limit, 'left this minute; plan ' + days.plan) : null);
	chart.replaceChildren(days.data.length
		? barChart('Requests per day', everyDay(days))
		: h('p', { class: 'state', text: 'No requests in the last 30 days.' }));
	try {
		const [byKey, keys] = await Promise.all([api('GET', '/v1/usage?group_by=key'),
			can('keys.read') ? api('GET', '/v1/api-keys?limit=100') : Promise.resolve({ data: [] })]);
		const names = new Map(keys.data.map((k) => [k.id, k.name + ' (' + k.prefix + '…' + k.last4 + ')']));
		top.rows(byKey.data.sort((a, b) => b.count - a.count).slice(0, 5)
			.map((r) => ({ name: names.get(r.key) || (r.key === 'user' ? 'signed-in users' : r.key === 'none' ? 'no credential' : r.key), count: r.count })));
	} catch (e) {
		top.error(e);
	}
}
