/* Stands in for an analytics tag pasted without its consent gate. */
document.cookie = '_ga=GA1.1.' + Date.now() + '; path=/; max-age=63072000; samesite=lax';
