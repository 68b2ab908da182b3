"""The nested-virt VM (``seatcheck vm``): a disk with Debian, its kernel, an engine that
already holds the seat's images and this checkout, booted in qemu with a DRM card
(virtio-vga-gl with virgl where qemu can have it, virtio-vga otherwise), a sound card
(intel-hda into a wav file on the host) and a serial console."""
