/** The counter a clerk chose last in a hall, kept in this browser. */

const key = (hallId: string): string => `hallhub.web.workstation.counter.${hallId}`;

export function rememberedCounter(hallId: string): string | null {
  try {
    return window.localStorage.getItem(key(hallId));
  } catch {
    return null;
  }
}

export function rememberCounter(hallId: string, counterId: string): void {
  try {
    window.localStorage.setItem(key(hallId), counterId);
  } catch {
    // storage disabled: the choice lasts as long as the page
  }
}
