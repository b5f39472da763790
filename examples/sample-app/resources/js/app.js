// A second click while a donation is being sent would record it twice: forms marked
// data-once disable their buttons once submitted.
document.querySelectorAll('form[data-once]').forEach((form) => {
    form.addEventListener('submit', () => {
        form.querySelectorAll('button[type="submit"]').forEach((button) => {
            button.disabled = true;
            button.textContent = 'Sending…';
        });
    });
});
