// A participant's referral link: /r/<code> under the deployment's public URL. Links carry no
// program, because codes are unique across programs.
export function referralLink(publicBaseUrl: string, code: string): string {
  return `${publicBaseUrl}/r/${encodeURIComponent(code)}`;
}
