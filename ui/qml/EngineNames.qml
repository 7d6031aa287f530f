pragma Singleton

import QtQuick

// Display names and one-line descriptions of the engine ids ("flashvsr", "realesrgan", ...).
QtObject {
    function title(id: string): string {
        switch (id) {
        case "flashvsr":
            return qsTr("FlashVSR");
        case "realesrgan":
            return qsTr("Real-ESRGAN (model)");
        case "lanczos":
            return qsTr("Lanczos");
        case "bicubic":
            return qsTr("Bicubic");
        }
        return id;
    }

    function help(id: string): string {
        switch (id) {
        case "flashvsr":
            return qsTr("Diffusion video model: the best detail; needs its weights and a GPU");
        case "realesrgan":
            return qsTr("Real-ESRGAN AI upscaler, installed with the app: sharp and fast, no download");
        case "lanczos":
            return qsTr("Classic resampling: instant, no model, no new detail");
        case "bicubic":
            return qsTr("Classic resampling, softer than Lanczos");
        }
        return "";
    }
}
