/**
 * Manual WebRTC signaling inside the extension: connections whose bridge's
 * signaling endpoint is blocked wait here with a `webpt-offer:` text until
 * the person pastes the operator's `webpt-answer:` text (the seeds'
 * out-of-band `signals` pipe with a human in it). Lives wherever the
 * RTCPeerConnection lives: the offscreen document on Chrome, the background
 * page on Firefox.
 */
import { BrowserTransportError, type ManualWebRtcOffer, type MessageCarrier } from "../../shared/transport/index.js";
import type { ManualOfferView } from "./messages.js";

/** Offers waiting at once: each holds a peer connection. */
export const MAX_MANUAL_OFFERS = 8;

export interface ManualMeta {
  readonly bridge: string;
  readonly purpose: string;
}

interface Waiting {
  readonly meta: ManualMeta;
  readonly view: ManualOfferView;
  readonly offer: ManualWebRtcOffer;
  resolve(carrier: MessageCarrier): void;
  reject(error: unknown): void;
}

export class ManualOffers {
  readonly #waiting = new Map<string, Waiting>();
  readonly #onChange: () => void;
  #next = 1;

  constructor(onChange: () => void = () => undefined) {
    this.#onChange = onChange;
  }

  /** The `manual` hook of openConnection for one connection. */
  exchange(meta: ManualMeta): (offer: ManualWebRtcOffer) => Promise<MessageCarrier> {
    return (offer) =>
      new Promise<MessageCarrier>((resolve, reject) => {
        if (this.#waiting.size >= MAX_MANUAL_OFFERS) {
          offer.close();
          reject(
            new BrowserTransportError(
              "ERR_TRANSPORT_SIGNALING",
              `${MAX_MANUAL_OFFERS} manual offers are waiting already`,
            ),
          );
          return;
        }
        const offerId = `m${this.#next++}-${Date.now().toString(36)}`;
        const view: ManualOfferView = {
          offerId,
          bridge: meta.bridge,
          text: offer.text,
          createdAt: Date.now(),
          purpose: meta.purpose,
        };
        this.#waiting.set(offerId, { meta, view, offer, resolve, reject });
        this.#onChange();
      });
  }

  list(): ManualOfferView[] {
    return [...this.#waiting.values()].map((w) => w.view);
  }

  /**
   * Applies an answer. A text that does not open for this offer rejects with
   * the SignalingError and leaves the offer waiting; a failed connect ends it.
   */
  async answer(offerId: string, text: string): Promise<void> {
    const w = this.#waiting.get(offerId);
    if (w === undefined)
      throw new BrowserTransportError(
        "ERR_TRANSPORT_SIGNALING",
        "no such offer (it was answered, cancelled or timed out)",
      );
    let carrier: MessageCarrier;
    try {
      carrier = await w.offer.accept(text);
    } catch (err) {
      if (
        (err as { name?: string }).name !== "SignalingError" &&
        (err as { name?: string }).name !== "SignalingLimitError"
      ) {
        this.#waiting.delete(offerId);
        w.reject(err);
        this.#onChange();
      }
      throw err;
    }
    this.#waiting.delete(offerId);
    w.resolve(carrier);
    this.#onChange();
  }

  cancel(offerId: string): void {
    const w = this.#waiting.get(offerId);
    if (w === undefined) return;
    this.#waiting.delete(offerId);
    w.offer.close();
    w.reject(new BrowserTransportError("ERR_TRANSPORT_SIGNALING", "the manual offer was cancelled"));
    this.#onChange();
  }

  /** Drops the offers made with `meta` (its connection gave up: timed out or closed). */
  cancelFor(meta: ManualMeta): void {
    for (const [id, w] of this.#waiting) if (w.meta === meta) this.cancel(id);
  }
}
