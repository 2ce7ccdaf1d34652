import {
  audioEnvelope,
  consumePluginOutput,
  envelopeProblem,
  expressionEnvelope,
  parsePluginConfig,
  publishToPlugin,
} from "../../runtime/broker/plugin.ts";
import { BrokerClient, openBrokerConnection } from "../../runtime/broker/connection.ts";
import { memoryLogger } from "../../runtime/log/logger.ts";
import { assertEquals } from "../assert.ts";
import { brokerAvailable, sharedBrokerUrl, skipReason } from "./rabbit.ts";

const config = parsePluginConfig(JSON.stringify({
  host: "localhost",
  port: 5672,
  user: "guest",
  pass: "guest",
  target_model_alias: "mei",
  motion_expression_alias: "expr",
  motion_action_alias: "act",
  audio_mode: "stream",
  expression_list: [{ name: "joy", motion: "motion/joy.vmd" }],
  action_list: [{ name: "nod", motion: "motion/nod.vmd" }],
  connection_list: [
    { name: "in", mode: "consumer-basic", queue: "mmdx.test.in" },
    { name: "out", mode: "producer", type: "direct", exchange: "mmdx.test.out", bindingkey: "k" },
  ],
}));

Deno.test("plugin envelopes: a built audio or expression envelope passes the strict check", () => {
  assertEquals(envelopeProblem(audioEnvelope(new Int16Array([1, -2, 3])), config), undefined);
  assertEquals(envelopeProblem(expressionEnvelope("joy", "nod"), config), undefined);
});

Deno.test("plugin envelopes: every shape that aborts MMDAgent-EX is refused with its reason", () => {
  const good = expressionEnvelope("joy", "nod");
  const cases: [unknown, RegExp][] = [
    ["text", /JSON object/],
    [{ ...good, body: undefined }, /field "body"/],
    [{ ...good, id: 7 }, /field "id"/],
    [{ ...good, data_type: "text" }, /neither/],
    [{ ...good, body: "not json" }, /JSON string/],
    [
      { ...good, body: JSON.stringify({ expression: "anger", action: "nod" }) },
      /unknown expression "anger"/,
    ],
    [{ ...good, body: JSON.stringify({ expression: "joy" }) }, /expression and action/],
    [{ ...good, data_type: "audio", body: "AAA" }, /base64/],
    [{ ...good, data_type: "audio", body: btoa("abc") }, /whole 16-bit samples/],
  ];
  for (const [value, why] of cases) {
    const problem = envelopeProblem(value, config);
    if (!problem || !why.test(problem)) throw new Error(`${JSON.stringify(value)}: got ${problem}`);
  }
});

Deno.test("plugin config: a config without the four single values names what the plugin needs", () => {
  let message = "";
  try {
    parsePluginConfig(JSON.stringify({ connection_list: [] }), "sample.json");
  } catch (err) {
    message = (err as Error).message;
  }
  if (!/^sample\.json: .*target_model_alias/.test(message)) throw new Error(message);
});

Deno.test({
  name:
    `plugin bridge: a valid envelope reaches the plugin's queue, a malformed one is never published, RABBITMQ_SEND payloads are read${skipReason}`,
  ignore: !brokerAvailable,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const url = await sharedBrokerUrl();
    // The plugin's side: declare its consumer-basic queue the way it does.
    const plugin = await new BrokerClient(url).connect();
    const pch = await plugin.channel();
    await pch.queueDeclare("mmdx.test.in", { durable: false, autoDelete: true });
    const payloads: string[] = [];
    const broker = openBrokerConnection({
      url,
      name: "test-bridge",
      logger: memoryLogger(),
      onUp: (ch) => consumePluginOutput(ch, config.connection_list[1], (p) => payloads.push(p)),
    });
    try {
      await broker.ready(AbortSignal.timeout(20_000));
      await publishToPlugin(broker, config, "in", expressionEnvelope("joy", "nod", { id: "e1" }));
      let refused = "";
      await publishToPlugin(broker, config, "in", {
        ...expressionEnvelope("anger", "nod"),
        id: "e2",
      })
        .catch((e) => (refused = e.message));
      if (!/unknown expression/.test(refused)) throw new Error(`not refused: ${refused}`);
      const got = await pch.basicGet("mmdx.test.in", { noAck: true });
      assertEquals(JSON.parse(got?.bodyToString() ?? "{}").id, "e1");
      assertEquals(await pch.basicGet("mmdx.test.in", { noAck: true }), null);
      // What MMDAgent-EX publishes for RABBITMQ_SEND|a|b: the raw bytes after the first "|".
      await pch.basicPublish("mmdx.test.out", "k", "a|b");
      const end = Date.now() + 5000;
      while (payloads.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assertEquals(payloads, ["a|b"]);
    } finally {
      await broker.close();
      await plugin.close();
    }
  },
});
