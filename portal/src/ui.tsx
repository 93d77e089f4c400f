import type { ComponentChildren } from "preact"
import { useEffect, useRef, useState } from "preact/hooks"
import { ApiError } from "./api.js"

export const formatTime = (iso: string | null | undefined) =>
  iso === null || iso === undefined ? "—" : new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })

/** Runs `load` when `deps` change and every `refreshMs` while the page is visible. */
export const useLoad = <A,>(load: () => Promise<A>, deps: ReadonlyArray<unknown>, refreshMs?: number) => {
  const [state, setState] = useState<{ data?: A; error?: ApiError | Error; loading: boolean }>({ loading: true })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState((s) => ({ ...s, error, loading: false }))
    )
    return () => {
      live = false
    }
  }, [...deps, tick])
  useEffect(() => {
    if (refreshMs === undefined) return
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") setTick((t) => t + 1)
    }, refreshMs)
    return () => clearInterval(timer)
  }, [refreshMs])
  return { ...state, reload: () => setTick((t) => t + 1) }
}

export const Status = ({ value }: { value: string }) => <span class={`badge badge-${value}`}>{value.replace("_", " ")}</span>

export const ErrorMessage = ({ error }: { error: unknown }) =>
  error === undefined || error === null ? null : (
    <p class="error" role="alert">
      {error instanceof ApiError ? error.message : "Something went wrong. Try again."}
    </p>
  )

/** The one "not found" view: a webhook or delivery of another account, or outside the link's scope, is just absent. */
export const NotFound = ({ what }: { what: string }) => (
  <section>
    <Title>
      Not found
    </Title>
    <p>There is no {what} here. It may have been deleted, or this portal link does not cover it.</p>
    <p>
      <a href="#/webhooks">Back to webhooks</a>
    </p>
  </section>
)

export const isNotFound = (error: unknown) => error instanceof ApiError && (error.status === 404 || error.status === 410)

/** A labelled form field with the API's validation message beside it. */
export const Field = (props: { id: string; label: string; error?: string | undefined; hint?: string; children: ComponentChildren }) => (
  <div class={`field${props.error ? " field-invalid" : ""}`}>
    <label for={props.id}>{props.label}</label>
    {props.children}
    {props.hint && !props.error ? (
      <p class="hint" id={`${props.id}-hint`}>
        {props.hint}
      </p>
    ) : null}
    {props.error ? (
      <p class="field-error" id={`${props.id}-error`} role="alert">
        {props.error}
      </p>
    ) : null}
  </div>
)

/**
 * A view's heading, focused when the view appears (after its data arrives), so keyboard and screen-reader
 * users land on the new view rather than on the link that led there.
 */
export const Title = ({ children }: { children: ComponentChildren }) => {
  const ref = useRef<HTMLHeadingElement>(null)
  useEffect(() => ref.current?.focus(), [])
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  )
}
