import { Layer } from "effect"
import { DispatcherLive } from "./dispatcher.js"
import { layerFromSettings as HttpSenderLive } from "./http-sender.js"
import { DeliveryRecorderLive } from "./recorder.js"
import { DeliveryRuntimeLive } from "./runtime.js"

/** The delivery side: dispatcher, endpoint actors, the recorder and the HTTP sender. */
export const DeliveryLive = DispatcherLive.pipe(
  Layer.provideMerge(DeliveryRuntimeLive),
  Layer.provideMerge(DeliveryRecorderLive),
  Layer.provideMerge(HttpSenderLive)
)
