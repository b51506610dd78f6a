/* Stands in for an analytics tag pasted without its consent gate: Google Analytics'
   cookie, and an A/B-testing cookie that the policy does not declare. */
document.cookie = '_ga=GA1.1.' + Date.now() + '; path=/; max-age=63072000; samesite=lax';
document.cookie = 'ab_test=variant-b; path=/; max-age=2592000; samesite=lax';
