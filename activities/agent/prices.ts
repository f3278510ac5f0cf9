/** Dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * List prices of common models (USD per 1M tokens, standard tier) as published by their
 * vendors; LLM_PRICES overrides or adds entries. Only estimates for budgets: cached-input
 * discounts and batch pricing are not modelled. A model matches its longest listed prefix,
 * so `gpt-4o-2024-08-06` is priced as `gpt-4o`.
 */
export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  o3: { input: 2, output: 8 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'claude-sonnet-4': { input: 3, output: 15 },
  'claude-opus-4': { input: 15, output: 75 },
  'claude-haiku-4': { input: 1, output: 5 },
  // Unknown models (a local Ollama, a new release) are priced like a mid-range hosted one, so
  // a dollar budget still bounds them; set LLM_PRICES to price them exactly (0 for local).
  default: { input: 2.5, output: 10 },
};

export class PriceTable {
  private readonly prices: Record<string, ModelPrice>;
  private readonly prefixes: string[];

  constructor(overrides: Record<string, ModelPrice> = {}) {
    this.prices = { ...DEFAULT_PRICES, ...overrides };
    this.prefixes = Object.keys(this.prices)
      .filter((k) => k !== 'default')
      .sort((a, b) => b.length - a.length);
  }

  priceOf(model: string): ModelPrice {
    const exact = this.prices[model];
    if (exact) return exact;
    const prefix = this.prefixes.find((p) => model.startsWith(p));
    return prefix ? this.prices[prefix]! : this.prices.default!;
  }

  /** Estimated cost of one request, in dollars. */
  costOf(model: string, usage: { promptTokens: number; completionTokens: number }): number {
    const price = this.priceOf(model);
    return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
  }
}
