// The microphone's AudioWorklet: mono, downsampled to 16 kHz (averaging over each output
// sample's span), sent to the page as 16-bit PCM blocks of 50 ms.
class Downsampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.pos = 0; // input position of the next output sample, in input samples
    this.acc = 0;
    this.n = 0;
    this.out = new Int16Array(800);
    this.k = 0;
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    for (let i = 0; i < ch.length; i++) {
      this.acc += ch[i];
      this.n += 1;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.pos -= this.ratio;
        const v = Math.max(-1, Math.min(1, this.acc / this.n));
        this.out[this.k++] = v < 0 ? v * 32768 : v * 32767;
        this.acc = 0;
        this.n = 0;
        if (this.k === this.out.length) {
          this.port.postMessage(this.out.buffer.slice(0));
          this.k = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor("downsampler", Downsampler);
