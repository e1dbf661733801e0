import { describe, expect, it } from "vitest";
import { clearToken, saveToken, takeToken, type TokenPlace } from "../src/token";

function place(href: string) {
  const store = new Map<string, string>();
  const replaced: string[] = [];
  const p: TokenPlace = {
    key: "k",
    storage: {
      getItem: (k) => store.get(k) ?? null,
      setItem: (k, v) => void store.set(k, v),
      removeItem: (k) => void store.delete(k),
    },
    location: { href },
    history: { state: null, replaceState: (_d, _u, url) => void replaced.push(String(url)) },
  };
  return { p, store, replaced };
}

describe("takeToken", () => {
  it("takes ?token= from the address, stores it and removes it from the address bar", () => {
    const { p, store, replaced } = place("http://h/web/display.html?hall=xc-01&token=abc#top");
    expect(takeToken(p)).toBe("abc");
    expect(store.get("k")).toBe("abc");
    expect(replaced).toEqual(["/web/display.html?hall=xc-01#top"]);
  });

  it("falls back to the stored token, and to null", () => {
    const { p, replaced } = place("http://h/m/");
    expect(takeToken(p)).toBeNull();
    saveToken(p, "saved");
    expect(takeToken(p)).toBe("saved");
    clearToken(p);
    expect(takeToken(p)).toBeNull();
    expect(replaced).toEqual([]);
  });

  it("survives a storage that throws", () => {
    const p: TokenPlace = {
      key: "k",
      storage: {
        getItem: () => { throw new Error("denied"); },
        setItem: () => { throw new Error("denied"); },
        removeItem: () => { throw new Error("denied"); },
      },
      location: { href: "http://h/?token=t1" },
      history: { state: null, replaceState: () => undefined },
    };
    expect(takeToken(p)).toBe("t1");
    expect(takeToken({ ...p, location: { href: "http://h/" } })).toBeNull();
    expect(() => clearToken(p)).not.toThrow();
  });
});
