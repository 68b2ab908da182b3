// GNOME 40+ opens the overview at login; a seat under test starts on the plain desktop so that
// a window's pixels are on screen at the geometry X reports for it.
const Main = imports.ui.main;

let startupHandler = null;

function init() {}

function enable() {
    if (Main.layoutManager._startingUp) {
        startupHandler = Main.layoutManager.connect('startup-complete', () => Main.overview.hide());
    } else {
        Main.overview.hide();
    }
}

function disable() {
    if (startupHandler) {
        Main.layoutManager.disconnect(startupHandler);
        startupHandler = null;
    }
}
