/**
 * The messages capability on a real D1 and the Workers runtime's queue
 * handler: delivered into the outbox once, however often the queue hands
 * the message over; retried with growing delays when the channel fails;
 * and through the local queue itself, from the producer binding to the
 * outbox. Expectations are the messages the tests send.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { deliverBatch, queueMessage } from '../../worker/messages/use-cases';
import type { OutgoingMessage } from '../../worker/messages/model';
import { outboxFor } from '../../worker/messages/outbox';
import { DeliveryError, liveTransport, outboxTransport, type Transport } from '../../worker/messages/transports';
import worker from './entry';

const bindings = env as unknown as { DB: D1Database; MESSAGES: Queue };

let serial = 0;
const message = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  id: `test:${Date.now()}:${serial++}`,
  channel: 'email',
  to: `Camille.${serial}@exemple.fr`,
  subject: 'Votre code de connexion',
  text: `Votre code : ${String(100000 + serial)}. Il expire dans 10 minutes.`,
  urgent: true,
  ...overrides,
});

async function runHandler(messages: Array<{ body: unknown; attempts?: number }>) {
  const batch = createMessageBatch('guichet-messages', messages.map((m, i) => ({ id: `m${serial}-${i}`, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe('delivering a batch', () => {
  it('puts each message in the outbox once, even when the queue hands it over again', async () => {
    const first = message();
    const second = message({ channel: 'sms', to: '+33612345678', subject: '' });
    const result = await runHandler([{ body: first }, { body: second }]);
    expect(result.explicitAcks.length).toBe(2);
    expect(result.retryMessages).toEqual([]);
    const again = await runHandler([{ body: first }]);
    expect(again.explicitAcks.length).toBe(1);
    const inbox = await outboxFor(bindings.DB, first.to.toUpperCase());
    expect(inbox).toEqual([{ to: first.to.toLowerCase(), channel: 'email', subject: first.subject, text: first.text, sent_at: expect.any(String), id: first.id }]);
    expect((await outboxFor(bindings.DB, '+33612345678')).map((e) => e.text)).toEqual([second.text]);
  });

  it('retries a failed delivery with growing delays, then delivers it once', async () => {
    const outgoing = message();
    let failures = 2;
    const flaky: Transport = {
      async deliver(m, now) {
        if (failures-- > 0) throw new Error('channel down');
        await outboxTransport(bindings.DB).deliver(m, now);
      },
    };
    const outcomes: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const batch = createMessageBatch('guichet-messages', [{ id: `r${attempt}`, timestamp: new Date(), attempts: attempt, body: outgoing }]);
      // The runtime's result does not carry a retry's delay: read it on its way.
      const [m] = batch.messages;
      const watched = { ...batch, messages: [{ id: m.id, timestamp: m.timestamp, attempts: m.attempts, body: m.body, ack: () => m.ack(), retry: (o?: QueueRetryOptions) => { outcomes.push(`retry ${o?.delaySeconds}`); m.retry(o); } }] };
      const ctx = createExecutionContext();
      await deliverBatch(watched as unknown as MessageBatch, bindings.DB, flaky);
      const result = await getQueueResult(batch, ctx);
      if (result.explicitAcks.includes(`r${attempt}`)) outcomes.push('ack');
    }
    expect(outcomes).toEqual(['retry 30', 'retry 60', 'ack']);
    expect((await outboxFor(bindings.DB, outgoing.to)).length).toBe(1);
    const record = await bindings.DB.prepare('select status, attempts, last_error from message_deliveries where id = ?').bind(outgoing.id).first();
    expect(record).toEqual({ status: 'sent', attempts: 3, last_error: null });
  });

  it('sends an unreadable message on towards the dead-letter queue, and stores no part of it', async () => {
    const result = await runHandler([{ body: { id: 'x', to: 'quelqu.un@exemple.fr' } }]);
    expect(result.retryMessages.length).toBe(1);
    expect(await outboxFor(bindings.DB, 'quelqu.un@exemple.fr')).toEqual([]);
  });

  it('never hands a message to two consumers at once', async () => {
    const outgoing = message();
    let deliveries = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Transport = {
      async deliver(m, now) {
        deliveries++;
        await gate;
        await outboxTransport(bindings.DB).deliver(m, now);
      },
    };
    const batches = [1, 2].map((n) => createMessageBatch('guichet-messages', [{ id: `c${n}`, timestamp: new Date(), attempts: 1, body: outgoing }]));
    const running = batches.map((b) => deliverBatch(b, bindings.DB, slow));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await Promise.all(running);
    expect(deliveries).toBe(1);
    expect((await outboxFor(bindings.DB, outgoing.to)).length).toBe(1);
  });
});

describe('live delivery', () => {
  /** This file's channel on the shared local receiver (test/worker/receiver.ts), standing in for the SMS provider. */
  const receiver = `${(env as unknown as { RECEIVER_URL: string }).RECEIVER_URL}/messages`;
  const sent: unknown[] = [];
  const live = liveTransport({
    kind: 'live', from: 'ne-pas-repondre@guichet.example.fr', smsEndpoint: `${receiver}/sms`, smsToken: 'sms-secret',
    email: { send: async (mail: unknown) => void sent.push(mail) },
  });

  it('sends an SMS to the provider, and a refusal is a retryable failure', async () => {
    const sms = message({ channel: 'sms', to: '+33612345678', subject: '' });
    await live.deliver(sms, new Date());
    const received = (await (await fetch(`${receiver}/__received`)).json()) as Array<{ path: string; body: unknown }>;
    expect(received).toEqual([{ path: '/sms', body: { to: '+33612345678', text: sms.text } }]);
    await (await fetch(`${receiver}/__fail?n=1&status=503`, { method: 'POST' })).arrayBuffer();
    await expect(live.deliver(message({ channel: 'sms', to: '+33612345679', subject: '' }), new Date())).rejects.toEqual(new DeliveryError('sms endpoint 503'));
  });

  it('hands an email to the send_email binding with its idempotency key', async () => {
    const email = message();
    await live.deliver(email, new Date());
    expect(sent).toEqual([{ from: { email: 'ne-pas-repondre@guichet.example.fr', name: 'Guichet' }, to: email.to, subject: email.subject, text: email.text, headers: { 'X-Guichet-Message': email.id } }]);
  });
});

describe('through the local queue', () => {
  it('a queued message reaches the outbox', async () => {
    const outgoing = message({ to: 'par.la.file@exemple.fr' });
    await queueMessage(bindings.MESSAGES, outgoing);
    let inbox: Awaited<ReturnType<typeof outboxFor>> = [];
    for (let i = 0; i < 100 && inbox.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      inbox = await outboxFor(bindings.DB, outgoing.to);
    }
    expect(inbox.map((e) => e.text)).toEqual([outgoing.text]);
  });
});
