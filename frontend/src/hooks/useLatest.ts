import { useLayoutEffect, useRef } from 'react';

/**
 * A ref that holds the newest `value`, for handlers and effects that must call the latest prop
 * without re-subscribing when it changes. It is written after each render (a layout effect, so
 * before any event or effect runs), never during render; read `.current` only in handlers and effects.
 */
export function useLatest<T>(value: T) {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
