import { Layer } from "effect"
import { DispatcherLive } from "./dispatcher.js"
import { layerFromSettings as HttpSenderLive } from "./http-sender.js"
import { DeliveryRecorderLive } from "./recorder.js"
import { DeliveryRuntimeLive } from "./runtime.js"
import { EnvelopeCacheLive } from "./envelopes.js"
import { OperationalReactorLive } from "./operational.js"

/**
 * The delivery side: dispatcher, endpoint actors, the recorder, the HTTP sender, the envelope hand-over,
 * and the reactor publishing operational events (which the dispatcher then delivers).
 */
export const DeliveryLive = Layer.merge(DispatcherLive, OperationalReactorLive).pipe(
  Layer.provideMerge(DeliveryRuntimeLive),
  Layer.provideMerge(DeliveryRecorderLive),
  Layer.provideMerge(HttpSenderLive),
  Layer.provideMerge(EnvelopeCacheLive)
)
