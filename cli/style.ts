/**
 * Colour only for a person at a terminal: never when NO_COLOR is set
 * (https://no-color.org), TERM is dumb, or output is piped.
 */
export function colourEnabled (stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR == null || env.NO_COLOR === '') && env.TERM !== 'dumb'
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], magenta: [35, 39], cyan: [36, 39], grey: [90, 39] } as const
export type Style = keyof typeof CODES

export type Paint = (style: Style, text: string) => string

export function painter (enabled: boolean): Paint {
  return enabled ? (style, text) => `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : (_style, text) => text
}
