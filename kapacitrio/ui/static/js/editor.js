// A TICKscript editor: a plain textarea with line numbers and the server's error shown at its line.

import { h } from './dom.js';

const INDENT = '    ';

/**
 * createEditor({label, value, onChange}) -> {root, textarea, value, setValue, showError, clearError}
 * Tab indents; Escape then Tab leaves the editor (so the keyboard is never trapped).
 */
export function createEditor({ label, value = '', onChange = () => {} }) {
  const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
  const marker = h('div', { class: 'error-line', hidden: true, 'aria-hidden': 'true' });
  const message = h('p', { class: 'editor-error', id: 'editor-error', hidden: true });
  const textarea = h('textarea', {
    id: 'script', class: 'code', spellcheck: 'false', wrap: 'off', autocapitalize: 'off',
    autocomplete: 'off', rows: 18, 'aria-describedby': 'editor-help editor-error',
  });
  textarea.value = value;
  const help = h('p', { id: 'editor-help', class: 'hint' },
    'Checked by the server as you type. Tab indents; press Escape, then Tab, to leave the editor.');
  const root = h('div', { class: 'editor-block' },
    h('label', { for: 'script' }, label),
    h('div', { class: 'editor' }, gutter, h('div', { class: 'code-wrap' }, marker, textarea)),
    help, message);

  let lines = 0;
  let errorLine = 0;
  let escaped = false;

  function lineHeight() {
    return parseFloat(getComputedStyle(textarea).lineHeight) || 20;
  }

  function renumber() {
    const count = textarea.value.split('\n').length;
    if (count !== lines) {
      lines = count;
      gutter.replaceChildren(...Array.from({ length: count }, (_, i) => h('div', { class: i + 1 === errorLine ? 'ln bad' : 'ln', 'data-line': i + 1 }, i + 1)));
    }
    sync();
  }

  function sync() {
    gutter.scrollTop = textarea.scrollTop;
    if (errorLine) {
      const top = (errorLine - 1) * lineHeight() - textarea.scrollTop + parseFloat(getComputedStyle(textarea).paddingTop || 0);
      marker.style.top = `${top}px`;
      marker.style.height = `${lineHeight()}px`;
    }
  }

  textarea.addEventListener('input', () => { renumber(); onChange(textarea.value); });
  textarea.addEventListener('scroll', sync);
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { escaped = true; return; }
    if (e.key === 'Tab' && !e.shiftKey && !escaped && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      const { selectionStart: start, selectionEnd: end } = textarea;
      textarea.setRangeText(INDENT, start, end, 'end');
      renumber();
      onChange(textarea.value);
      return;
    }
    escaped = false;
  });

  function showError(text, line, char) {
    message.hidden = false;
    message.replaceChildren(
      line ? h('strong', {}, `Line ${line}, char ${char}: `) : null,
      text,
      line ? h('button', { type: 'button', class: 'link', onclick: () => goTo(line, char) }, 'Go to error') : null);
    setErrorLine(line || 0);
    textarea.setAttribute('aria-invalid', 'true');
  }

  function clearError() {
    message.hidden = true;
    message.replaceChildren();
    setErrorLine(0);
    textarea.removeAttribute('aria-invalid');
  }

  function setErrorLine(line) {
    errorLine = line;
    marker.hidden = !line;
    for (const el of gutter.children) el.classList.toggle('bad', Number(el.dataset.line) === line);
    sync();
  }

  function goTo(line, char) {
    const rows = textarea.value.split('\n');
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, rows.length); i++) offset += rows[i].length + 1;
    offset += Math.max(0, (char || 1) - 1);
    textarea.focus();
    textarea.setSelectionRange(offset, offset);
    textarea.scrollTop = Math.max(0, (line - 3) * lineHeight());
  }

  function setValue(text) {
    textarea.value = text;
    renumber();
  }

  renumber();
  return { root, textarea, get value() { return textarea.value; }, setValue, showError, clearError, errorLine: () => errorLine };
}
