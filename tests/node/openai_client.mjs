// The official `openai` Node.js client against `pareto serve`: chat, streaming, logprobs,
// completions, model list and an error. Run by tests/node/run.sh, which starts the server and
// passes what `pareto generate` answers for the same prompt.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import OpenAI from "openai";

const baseURL = process.env.PARETO_URL;
const expected = JSON.parse(readFileSync(process.env.PARETO_EXPECTED, "utf8"));
const client = new OpenAI({ baseURL, apiKey: process.env.PARETO_NODE_KEY, maxRetries: 0 });
const model = "tiny";
const messages = [{ role: "user", content: "Hello there" }];

const models = await client.models.list();
assert.deepEqual(models.data.map((m) => m.id), [model]);

// Chat, whole, with logprobs.
const chat = await client.chat.completions.create({
  model, messages, max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 3,
});
assert.equal(chat.object, "chat.completion");
assert.equal(chat.choices[0].message.role, "assistant");
assert.equal(chat.choices[0].message.content, expected.text);
assert.equal(chat.usage.completion_tokens, 10);
assert.equal(chat.usage.prompt_tokens, expected.prompt_tokens);
const lp = chat.choices[0].logprobs.content;
assert.equal(lp.length, 10);
for (const [i, t] of lp.entries()) {
  assert.equal(t.top_logprobs.length, 3);
  assert.ok(Math.abs(t.logprob - expected.logprobs[i].logprob) < 1e-4);
  assert.ok(t.logprob <= 0);
}

// Chat, streamed, with usage at the end.
const stream = await client.chat.completions.create({
  model, messages, max_tokens: 10, temperature: 0, stream: true,
  stream_options: { include_usage: true }, logprobs: true, top_logprobs: 2,
});
let text = "", pieces = 0, finish = null, usage = null, streamedLogprobs = 0;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  if (choice.delta?.content) { text += choice.delta.content; pieces++; }
  if (choice.logprobs?.content) streamedLogprobs += choice.logprobs.content.length;
  if (choice.finish_reason) finish = choice.finish_reason;
}
assert.equal(text, expected.text);
assert.ok(pieces > 0);
assert.equal(finish, "length");
assert.equal(usage.completion_tokens, 10);
assert.equal(streamedLogprobs, 10);

// Completions, whole and streamed.
const done = await client.completions.create({
  model, prompt: "Hello there", max_tokens: 5, temperature: 0, logprobs: 2,
});
assert.equal(done.choices[0].logprobs.tokens.length, 5);
let ctext = "";
for await (const c of await client.completions.create({
  model, prompt: "Hello there", max_tokens: 5, temperature: 0, stream: true,
})) {
  ctext += c.choices[0]?.text ?? "";
}
assert.equal(ctext, done.choices[0].text);

// An unknown model is a 404 the client surfaces as an APIError.
await assert.rejects(
  client.chat.completions.create({ model: "gpt-none", messages }),
  (e) => e.status === 404 && /does not exist/.test(e.message),
);
// A wrong key is a 401.
const wrong = new OpenAI({ baseURL, apiKey: "sk-wrong", maxRetries: 0 });
await assert.rejects(wrong.models.list(), (e) => e.status === 401);

console.log("openai node client: chat, streaming, logprobs, completions, errors: ok");
