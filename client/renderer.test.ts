import { describe, expect, it } from 'vitest';
import { isSoftwareRenderer } from './renderer';

describe('renderer choice', () => {
  it('recognises WebGL implementations that run on the CPU', () => {
    for (const r of [
      'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
      'Google SwiftShader',
      'llvmpipe (LLVM 15.0.6, 256 bits)',
      'Mesa softpipe',
      'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)',
    ]) expect(isSoftwareRenderer(r), r).toBe(true);
  });

  it('takes GPUs for GPUs', () => {
    for (const r of [
      'ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6)',
      'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)',
      'Apple M2',
      'AMD Radeon Pro 5500M OpenGL Engine',
    ]) expect(isSoftwareRenderer(r), r).toBe(false);
  });
});
