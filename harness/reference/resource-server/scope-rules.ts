/** Which scope a protected route requires (RFC 6750 §3.1 insufficient_scope): the first matching route rule, else the default. */
import type { RouteScope } from './config.ts';

export interface ScopeRules {
  /** The scopes required for one request; every one of them must be granted. */
  requiredFor(method: string, path: string): readonly string[];
}

export function compileScopeRules(defaultScope: readonly string[], routes: readonly RouteScope[]): ScopeRules {
  const rules = routes.map((route) => ({
    exact: route.path.endsWith('*') ? undefined : route.path,
    prefix: route.path.endsWith('*') ? route.path.slice(0, -1) : undefined,
    methods: route.methods ? new Set(route.methods) : undefined,
    scope: route.scope,
  }));
  return {
    requiredFor(method, path) {
      for (const rule of rules) {
        if (rule.methods && !rule.methods.has(method)) continue;
        if (rule.exact !== undefined ? path === rule.exact : path.startsWith(rule.prefix!)) return rule.scope;
      }
      return defaultScope;
    },
  };
}
