/** Builds a content folder with the files the answers fixture refers to. */
import { makeVmd } from "../../runtime/emulator/vmd.ts";

/** A 16 kHz 16-bit mono WAV of `ms` milliseconds (silence). */
export function makeWav(ms: number): Uint8Array {
  const data = Math.round((16000 * 2 * ms) / 1000);
  const out = new Uint8Array(44 + data);
  const v = new DataView(out.buffer);
  const w = (o: number, s: string) => out.set(new TextEncoder().encode(s), o);
  w(0, "RIFF");
  v.setUint32(4, 36 + data, true);
  w(8, "WAVE");
  w(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 16000, true);
  v.setUint32(28, 32000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  w(36, "data");
  v.setUint32(40, data, true);
  return out;
}

/** Creates the content folder; returns its path. Remove it with Deno.remove(dir, {recursive}). */
export async function makeContent(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "mmdbot-emu-" });
  await Deno.mkdir(`${dir}/motion`);
  const text = (p: string, s: string) => Deno.writeTextFile(`${dir}/${p}`, s);
  const bin = (p: string, b: Uint8Array) => Deno.writeFile(`${dir}/${p}`, b);
  await bin("Gene_light.pmd", new TextEncoder().encode("Pmd\0fake model"));
  await bin("Gene_light.pmx", new TextEncoder().encode("not a model"));
  await text(
    "Gene_light.pmd.loadmessage",
    [
      "MENU|ADD|Gene",
      ...[0, 1, 2, 3, 4, 5].map((i) => `MENU|SETITEM|Gene|${i}|item${i}|MODEL_BINDFACE|0|m${i}|1`),
    ].join("\n") + "\n",
  );
  await text("Gene_light.pmd.deletemessage", "MENU|DELETE|Gene\n");
  await text("Gene_light.pmd.shapemap", "# shapemap\nACT1 motion/01_happy.vmd\n");
  await bin("motion/stand.vmd", makeVmd([0, 150, 300]));
  await bin("motion/00_normal.vmd", makeVmd([0, 10]));
  await bin("motion/02.vmd", makeVmd([0, 60], [120]));
  await bin("motion/01_happy.vmd", makeVmd([0, 45]));
  await bin("audio.wav", makeWav(5400));
  for (const f of ["logo.png", "frame.png", "img.png"]) await text(f, "png");
  await text("main.fst", "0 1 MESSAGE|ping MESSAGE|pong\n1 0 MESSAGE|ping2 MESSAGE|pong2\n");
  await text("sub.fst", "0 1 MESSAGE|subping MESSAGE|subpong\n");
  return dir;
}
