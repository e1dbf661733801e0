/** A staff page's sign-in state: the stored token (shared by every /web/ page), who it is,
 * and whether that role may use the page. */
import {
  clearToken,
  fmt,
  saveToken,
  takeToken,
  toHubError,
  type Principal,
  type Role,
} from "@hallhub/client";
import { shallowRef, type ShallowRef } from "vue";
import { TOKEN_PLACE, api, setToken } from "../hub";
import { t } from "../i18n";
import { staffErrorText } from "./errors";

/** `POST /api/v1/auth/login`. */
export interface LoginAnswer {
  token: string;
  expires_at: string;
  principal: Principal;
}

export interface StaffSession {
  token: ShallowRef<string | null>;
  me: ShallowRef<Principal | null>;
  /** True while a stored token is being checked. */
  checking: ShallowRef<boolean>;
  /** Why the sign-in form is shown (expired, wrong role), or "". */
  notice: ShallowRef<string>;
  signedIn(answer: LoginAnswer): void;
  signOut(reason?: string): void;
}

export function login(username: string, password: string): Promise<LoginAnswer> {
  return api<LoginAnswer>("POST", "/api/v1/auth/login", { username, password });
}

/** The session of a page open to `roles`: reuses a stored token when it is still valid. */
export function useStaffSession(roles: ReadonlySet<Role>): StaffSession {
  const token = shallowRef<string | null>(null);
  const me = shallowRef<Principal | null>(null);
  const checking = shallowRef(false);
  const notice = shallowRef("");

  const accept = (next: string, principal: Principal): void => {
    if (!roles.has(principal.role)) {
      notice.value = fmt(t.staffUi.wrongRole, { role: t.roles[principal.role] });
      return;
    }
    setToken(next);
    notice.value = "";
    me.value = principal;
    token.value = next;
  };

  const signOut = (reason = ""): void => {
    clearToken(TOKEN_PLACE);
    setToken(null);
    notice.value = reason;
    me.value = null;
    token.value = null;
  };

  const stored = takeToken(TOKEN_PLACE);
  if (stored) {
    checking.value = true;
    setToken(stored);
    api<Principal>("GET", "/api/v1/auth/me")
      .then((principal) => accept(stored, principal))
      .catch((thrown: unknown) => {
        const error = toHubError(thrown);
        setToken(null);
        if (error.status === 401) signOut(t.staffUi.sessionExpired);
        else notice.value = staffErrorText(error);
      })
      .finally(() => {
        checking.value = false;
      });
  }

  return {
    token,
    me,
    checking,
    notice,
    signedIn: (answer) => {
      accept(answer.token, answer.principal);
      if (token.value === answer.token) saveToken(TOKEN_PLACE, answer.token);
    },
    signOut,
  };
}
