import { BrokerClient, openBrokerConnection } from "../../runtime/broker/connection.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { assertEquals } from "../assert.ts";
import { brokerAvailable, controlledBroker, skipReason, within } from "./rabbit.ts";

const opts = { ignore: !brokerAvailable, sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    `broker connection: publishes accepted while the broker restarts are all delivered in order (a resend after the drop carries its id)${skipReason}`,
  ...opts,
  async fn() {
    const broker = await controlledBroker();
    const logger = memoryLogger();
    const queue = "t.restart";
    const conn = openBrokerConnection({
      url: broker.url,
      name: "test-publisher",
      logger,
      onUp: async (ch) => {
        await ch.queueDeclare(queue, { durable: true });
      },
    });
    try {
      await conn.ready(AbortSignal.timeout(20_000));
      const first = Array.from(
        { length: 50 },
        (_, i) => conn.publish("", queue, `m${i}`, { deliveryMode: 2 }),
      );
      await within(Promise.all(first), 30_000, "first 50 confirmed");
      await broker.stop();
      // Accepted while the broker is down: held in the outbox.
      const during = Array.from(
        { length: 50 },
        (_, i) => conn.publish("", queue, `m${50 + i}`, { deliveryMode: 2 }),
      );
      await broker.start();
      await within(Promise.all(during), 120_000, "50 accepted while down, confirmed after restart");
      const c = await new BrokerClient(broker.url).connect();
      const ch = await c.channel();
      const got: string[] = [];
      for (;;) {
        const m = await ch.basicGet(queue, { noAck: true });
        if (!m) break;
        got.push(m.bodyToString() ?? "");
      }
      await c.close();
      // At least once: a publish in flight when the broker went away is sent again; consumers
      // drop it by id. What matters: nothing lost, order kept.
      const unique = got.filter((m, i) => got.indexOf(m) === i);
      assertEquals(unique, Array.from({ length: 100 }, (_, i) => `m${i}`));
      assertEquals(got.length - unique.length <= 256, true, `too many resends: ${got.length}`);
    } finally {
      await conn.close();
      if (!broker.running) await broker.start();
    }
  },
});
