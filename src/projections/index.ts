import { accountsProjection } from "./accounts.js"
import { deliveriesProjection } from "./deliveries.js"
import type { Projection } from "./projection.js"
import { publishedEventsProjection } from "./published-events.js"
import { webhooksProjection } from "./webhooks.js"

/** Every read model Hookline maintains. */
export const allProjections: ReadonlyArray<Projection> = [
  accountsProjection,
  webhooksProjection,
  deliveriesProjection,
  publishedEventsProjection
]
