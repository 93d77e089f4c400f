import type { Projection } from "./projection.js"

/** Every read model Hookline maintains. */
export const allProjections: ReadonlyArray<Projection> = []
