// imapflow (the IMAP client most Node programs use) against a running tern:
// STARTTLS and implicit TLS logins, list and mailbox management, append with
// flags and date, fetch with envelope/bodystructure/source and part download,
// search, flags, copy/move/delete, and IDLE notifications from a second
// client. Run by tests/interop/test_imap_clients.py with
// TERN_HOST, TERN_IMAP_PORT, TERN_IMAPS_PORT, TERN_USER, TERN_PASSWORD set.
// Prints one line per finished step; exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';

const host = process.env.TERN_HOST || '127.0.0.1';
const auth = { user: process.env.TERN_USER, pass: process.env.TERN_PASSWORD };
const tls = { rejectUnauthorized: false };

function client(implicitTls = true, extra = {}) {
    return new ImapFlow(Object.assign(implicitTls
        ? { host, port: Number(process.env.TERN_IMAPS_PORT), secure: true, auth, tls, logger: false }
        : { host, port: Number(process.env.TERN_IMAP_PORT), secure: false, doSTARTTLS: true, auth, tls,
            logger: false }, extra));
}

function step(name) {
    console.log(`ok ${name}`);
}

const REPORT = [
    'From: Alice Example <alice@a.test>',
    'To: Bob <bob@b.test>',
    'Subject: Quarterly =?utf-8?q?r=C3=A9port?=',
    'Date: Mon, 05 Feb 2024 10:11:12 +0100',
    'Message-ID: <report-1@a.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="XYZ"',
    '',
    '--XYZ',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=C3=BC=C3=9Fe aus K=C3=B6ln.',
    '--XYZ',
    'Content-Type: application/pdf; name="numbers.pdf"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="numbers.pdf"',
    '',
    Buffer.from('%PDF-1.4 not really a pdf\n').toString('base64'),
    '--XYZ--',
    ''
].join('\r\n');

function simple(subject, from = 'sender@origin.test') {
    return `From: ${from}\r\nTo: user@example.test\r\nSubject: ${subject}\r\n\r\nBody of ${subject}.\r\n`;
}

function waitFor(emitter, event, predicate, ms = 2000) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            emitter.off(event, handler);
            reject(new Error(`no ${event} event within ${ms} ms`));
        }, ms);
        function handler(data) {
            if (!predicate || predicate(data)) {
                clearTimeout(timer);
                emitter.off(event, handler);
                resolve(data);
            }
        }
        emitter.on(event, handler);
    });
}

async function loginBothWays() {
    const plain = client(false);
    await plain.connect();
    assert.ok(plain.secureConnection || plain.socket.encrypted, 'STARTTLS was not used');
    assert.ok(plain.capabilities.has('IMAP4rev2') || plain.capabilities.has('IMAP4rev1'));
    await plain.logout();
    step('login with STARTTLS');
}

async function folders(c) {
    const list = await c.list();
    const paths = list.map(m => m.path);
    for (const name of ['INBOX', 'Archive', 'Drafts', 'Junk', 'Sent', 'Trash']) {
        assert.ok(paths.includes(name), `${name} missing from ${paths}`);
    }
    const uses = Object.fromEntries(list.filter(m => m.specialUse).map(m => [m.specialUse, m.path]));
    assert.deepEqual(uses, {
        '\\Inbox': 'INBOX', '\\Archive': 'Archive', '\\Drafts': 'Drafts', '\\Junk': 'Junk', '\\Sent': 'Sent',
        '\\Trash': 'Trash'
    });
    step('list with special-use');

    const created = await c.mailboxCreate(['Projects', 'Größe 2024']);
    assert.equal(created.path, 'Projects/Größe 2024');
    const tree = await c.listTree();
    const projects = tree.folders.find(f => f.path === 'Projects');
    assert.ok(projects && projects.folders.some(f => f.name === 'Größe 2024'), JSON.stringify(tree.folders));
    await c.mailboxRename('Projects/Größe 2024', 'Projects/Done');
    await c.mailboxSubscribe('Projects/Done');
    const subscribed = (await c.list({ statusQuery: { messages: true, unseen: true } }))
        .find(m => m.path === 'Projects/Done');
    assert.ok(subscribed && subscribed.subscribed, 'Projects/Done not subscribed');
    assert.equal(subscribed.status.messages, 0);
    await c.mailboxDelete('Projects/Done');
    assert.ok(!(await c.list()).some(m => m.path === 'Projects/Done'));
    step('create, rename, subscribe, list-status, delete');
}

async function messages(c) {
    const appended = await c.append('INBOX', REPORT, ['\\Seen', '$Important'], new Date('2024-02-05T09:11:12Z'));
    assert.equal(appended.uid, 1);
    assert.ok(appended.uidValidity > 0n || appended.uidValidity > 0);
    for (let i = 1; i <= 3; i++) {
        await c.append('INBOX', simple(`note ${i}`, i === 2 ? 'carol@c.test' : 'sender@origin.test'));
    }
    const status = await c.status('INBOX', { messages: true, unseen: true, uidNext: true });
    assert.deepEqual([status.messages, status.unseen, status.uidNext], [4, 3, 5]);
    step('append with flags and date; status');

    const lock = await c.getMailboxLock('INBOX');
    try {
        const msg = await c.fetchOne('1', {
            uid: true, flags: true, envelope: true, bodyStructure: true, internalDate: true, size: true,
            source: true
        });
        assert.equal(msg.envelope.subject, 'Quarterly réport');
        assert.equal(msg.envelope.from[0].address, 'alice@a.test');
        assert.equal(msg.envelope.from[0].name, 'Alice Example');
        assert.equal(msg.envelope.messageId, '<report-1@a.test>');
        assert.ok(msg.flags.has('\\Seen') && msg.flags.has('$Important'), [...msg.flags].join(' '));
        assert.equal(msg.internalDate.toISOString(), '2024-02-05T09:11:12.000Z');
        assert.equal(msg.size, Buffer.byteLength(REPORT));
        assert.equal(msg.source.toString(), REPORT);
        assert.equal(msg.bodyStructure.type, 'multipart/mixed');
        const [text, pdf] = msg.bodyStructure.childNodes;
        assert.equal(text.type, 'text/plain');
        assert.equal(text.part, '1');
        assert.equal(text.encoding, 'quoted-printable');
        assert.equal(text.parameters.charset, 'utf-8');
        assert.equal(pdf.type, 'application/pdf');
        assert.equal(pdf.disposition, 'attachment');
        assert.equal(pdf.dispositionParameters.filename, 'numbers.pdf');
        step('fetch envelope, bodystructure, flags, internal date, size, source');

        const part = await c.download('1', '2', { uid: true });
        const chunks = [];
        for await (const chunk of part.content) chunks.push(chunk);
        assert.equal(Buffer.concat(chunks).toString(), '%PDF-1.4 not really a pdf\n');
        const textPart = await c.download('1', '1', { uid: true });
        const textChunks = [];
        for await (const chunk of textPart.content) textChunks.push(chunk);
        assert.equal(Buffer.concat(textChunks).toString(), 'Grüße aus Köln.');
        step('download decoded parts');

        const all = [];
        for await (const m of c.fetch('1:*', { uid: true, envelope: true, flags: true })) {
            all.push([m.uid, m.envelope.subject, m.flags.size]);
        }
        assert.deepEqual(all.map(x => x[1]), ['Quarterly réport', 'note 1', 'note 2', 'note 3']);
        step('fetch a range');

        assert.deepEqual(await c.search({ seen: false }, { uid: true }), [2, 3, 4]);
        assert.deepEqual(await c.search({ from: 'carol' }), [3]);
        assert.deepEqual(await c.search({ or: [{ subject: 'note 1' }, { from: 'alice' }] }), [1, 2]);
        assert.deepEqual(await c.search({ body: 'köln' }), [1]);
        assert.deepEqual(await c.search({ subject: 'réport' }), [1]);
        assert.deepEqual(await c.search({ keyword: '$Important' }), [1]);
        assert.deepEqual(await c.search({ since: new Date('2024-01-01'), before: new Date('2024-03-01') }), [1]);
        step('search');

        assert.ok(await c.messageFlagsAdd({ uid: '2:3' }, ['\\Flagged', '$Later'], { uid: true }));
        assert.ok(await c.messageFlagsRemove('3', ['$Later']));
        assert.ok(await c.messageFlagsSet('4', ['\\Answered']));
        const flags = {};
        for await (const m of c.fetch('1:*', { uid: true, flags: true })) flags[m.uid] = [...m.flags].sort();
        assert.deepEqual(flags[2], ['$Later', '\\Flagged']);
        assert.deepEqual(flags[3], ['\\Flagged']);
        assert.deepEqual(flags[4], ['\\Answered']);
        step('flags add/remove/set');

        const copied = await c.messageCopy('2', 'Archive', { uid: true });
        assert.equal(copied.destination, 'Archive');
        assert.equal(copied.uidMap.get(2), 1);
        const moved = await c.messageMove('3', 'Archive', { uid: true });
        assert.equal(moved.uidMap.get(3), 2);
        assert.ok(await c.messageDelete('4', { uid: true }));
        assert.deepEqual(await c.search({ all: true }, { uid: true }), [1, 2]);
        const archive = await c.status('Archive', { messages: true });
        assert.equal(archive.messages, 2);
        step('copy, move, delete');
    } finally {
        lock.release();
    }
}

async function idle(c) {
    // IDLE after 200 ms without commands (imapflow's default waits 15 s).
    const watcher = client(true, { autoIdleDelay: 200 });
    await watcher.connect();
    try {
        await watcher.mailboxOpen('INBOX');
        const count = watcher.mailbox.exists;
        await new Promise(resolve => setTimeout(resolve, 600));
        assert.ok(watcher.idling, 'the watcher is not idling');
        let started = Date.now();
        const exists = waitFor(watcher, 'exists', d => d.count === count + 1);
        await c.append('INBOX', simple('pushed'));
        await exists;
        const existsMs = Date.now() - started;

        started = Date.now();
        const flagged = waitFor(watcher, 'flags', d => d.flags && d.flags.has('\\Flagged') && d.seq === 1);
        await c.messageFlagsAdd('1', ['\\Flagged']);
        await flagged;
        const flagsMs = Date.now() - started;

        started = Date.now();
        const expunged = waitFor(watcher, 'expunge', d => d.seq === count + 1 || d.uid !== undefined);
        const lock = await c.getMailboxLock('INBOX');
        try {
            await c.messageDelete(String(count + 1));
        } finally {
            lock.release();
        }
        await expunged;
        const expungeMs = Date.now() - started;
        step(`idle: exists ${existsMs} ms, flags ${flagsMs} ms, expunge ${expungeMs} ms`);
    } finally {
        await watcher.logout();
    }
}

async function main() {
    await loginBothWays();
    const c = client();
    await c.connect();
    step('login with implicit TLS');
    try {
        await folders(c);
        await messages(c);
        await idle(c);
    } finally {
        await c.logout();
    }
    step('logout');
}

main().then(() => process.exit(0), err => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
});
