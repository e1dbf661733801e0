/** New services and counters, and what is wrong with a form before it is sent. Pure. */
import { fmt } from "@hallhub/client";
import { t } from "../i18n";
import type { Counter, Service } from "./types";

const SLUG = /^[a-z0-9][a-z0-9-]{0,39}$/;
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function isSlug(id: string): boolean {
  return SLUG.test(id);
}

/** The first letter no service uses yet ("A" if all are taken). */
export function nextPrefix(services: readonly Pick<Service, "prefix">[]): string {
  const used = new Set(services.map((s) => s.prefix));
  return [...LETTERS].find((letter) => !used.has(letter)) ?? "A";
}

export function blankService(hallId: string, services: readonly Service[]): Service {
  return {
    id: "",
    hall_id: hallId,
    name: "",
    prefix: nextPrefix(services),
    first_number: 1,
    last_number: 999,
    daily_cap: null,
    expected_minutes: 10,
    opening_hours: [],
    active: true,
  };
}

/** The next free counter number. */
export function nextCounterNumber(counters: readonly Pick<Counter, "number">[]): number {
  return counters.reduce((top, c) => Math.max(top, c.number), 0) + 1;
}

export function blankCounter(hallId: string, counters: readonly Counter[]): Counter {
  const number = nextCounterNumber(counters);
  return {
    id: `${hallId}-w${number}`,
    hall_id: hallId,
    number,
    name: fmt(t.admin.counters.defaultName, { number }),
    services: [],
  };
}

/** Problems of a service form; `others`: the hall's other services. */
export function serviceProblems(service: Service, others: readonly Service[], adding: boolean): string[] {
  const s = t.admin.services;
  const problems: string[] = [];
  if (!isSlug(service.id)) problems.push(s.badId);
  else if (adding && others.some((o) => o.id === service.id)) problems.push(fmt(s.idTaken, { id: service.id }));
  if (!service.name.trim()) problems.push(s.nameRequired);
  if (others.some((o) => o.prefix === service.prefix)) problems.push(fmt(s.prefixTaken, { prefix: service.prefix }));
  if (service.first_number > service.last_number) problems.push(s.badRange);
  return problems;
}

/** Problems of a counter form; `others`: the hall's other counters. */
export function counterProblems(counter: Counter, others: readonly Counter[], adding: boolean): string[] {
  const c = t.admin.counters;
  const problems: string[] = [];
  if (!isSlug(counter.id)) problems.push(c.badId);
  else if (adding && others.some((o) => o.id === counter.id)) problems.push(fmt(c.idTaken, { id: counter.id }));
  if (!counter.name.trim()) problems.push(c.nameRequired);
  if (others.some((o) => o.number === counter.number)) problems.push(fmt(c.numberTaken, { number: counter.number }));
  if (counter.services.length === 0) problems.push(c.needService);
  const ids = counter.services.map((s) => s.service_id);
  if (ids.some((id) => !id)) problems.push(c.pickService);
  else if (new Set(ids).size !== ids.length) problems.push(c.serviceTwice);
  return problems;
}
