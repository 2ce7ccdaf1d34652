// A normal bot fixture (and the victim of the others): reads its own folder and answers, to show
// a well-behaved bot keeps working while hostile ones are contained.
const secret = await Deno.readTextFile(new URL("./secret.txt", import.meta.url));
console.log(
  JSON.stringify({ escape: "none", ok: secret.startsWith("VICTIM"), detail: "answering" }),
);
