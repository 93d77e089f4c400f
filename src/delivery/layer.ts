import { Layer } from "effect"
import { DispatcherLive } from "./dispatcher.js"
import { layerFromSettings as HttpSenderLive } from "./http-sender.js"
import { DeliveryRecorderLive } from "./recorder.js"
import { DeliveryRuntimeLive } from "./runtime.js"
import { EnvelopeCacheLive } from "./envelopes.js"

/** The delivery side: dispatcher, endpoint actors, the recorder, the HTTP sender and the envelope hand-over. */
export const DeliveryLive = DispatcherLive.pipe(
  Layer.provideMerge(DeliveryRuntimeLive),
  Layer.provideMerge(DeliveryRecorderLive),
  Layer.provideMerge(HttpSenderLive),
  Layer.provideMerge(EnvelopeCacheLive)
)
