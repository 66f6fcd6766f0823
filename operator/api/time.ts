// The two timestamp formats of the Kubernetes API. The API server rejects or
// rewrites other precisions, so every role formats through these.

/** metav1.Time: RFC 3339 with whole seconds ("2024-01-02T03:04:05Z"). */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
